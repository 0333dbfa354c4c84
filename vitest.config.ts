import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      {
        test: {
          name: 'oracle',
          // Against reference implementations (Kafka Streams in a JVM); no local services needed.
          include: ['test/oracle/**/*.test.ts'],
          // About 0.05-0.15 s a case; TRIBUTARY_ORACLE_RUNS sets the cases per test (200).
          testTimeout: 120_000 + 500 * Number(process.env.TRIBUTARY_ORACLE_RUNS ?? 200),
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts LocalStack and Kafka when they are not already running (see local/services).
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // The services are shared: integration files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
