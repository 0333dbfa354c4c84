import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explain, type StartedRun, startRun } from './helpers/e2e-run.js';
import { pollUntil } from './helpers/poll.js';
import { type PrivateLocalstack, startPrivateLocalstack } from './helpers/private-localstack.js';

const RUN_TIMEOUT = 300_000;

/** Shards the event source mapping checkpointed: the aggregator applied and saved their records. */
function checkpointedShards(folder: string | undefined): number {
  const file = folder ? join(folder, 'esm-checkpoints.json') : undefined;
  if (!file || !existsSync(file)) return 0;
  const { mappings } = JSON.parse(readFileSync(file, 'utf8')) as { mappings: Record<string, object> };
  return Object.values(mappings).reduce((n, shards) => n + Object.keys(shards).length, 0);
}

describe('tributary start: a real LocalStack restart mid-run', () => {
  // A LocalStack of this test's own (own port and files): the shared one is never touched.
  let localstack: PrivateLocalstack | undefined;
  let run: StartedRun | undefined;

  afterAll(async () => {
    run?.kill('SIGKILL');
    await run?.done;
    await localstack?.stop();
  }, 60_000);

  it(
    'fails the run with a message that LocalStack restarted and lost its data, never MATCH',
    async () => {
      // Prepare: a paced run (20 s of producing: the restart lands in it) against the private LocalStack
      localstack = await startPrivateLocalstack();
      const started = startRun(['--pipeline', 'taxi-rides', '--events', '800', '--rate', '40'], {
        TRIBUTARY_LOCALSTACK_ENDPOINT: localstack.endpoint,
      });
      run = started;
      const aggregated = await pollUntil(
        async () => checkpointedShards(started.folder()),
        (shards) => shards > 0,
        { timeoutMs: 120_000 },
      );
      expect(aggregated, 'records were aggregated before the restart').toBeGreaterThan(0);

      // Act: kill it as a crash would, and start it again empty (no persistence)
      await localstack.restart();
      const result = await started.done;

      // Assess
      expect(result.code, explain(result)).toBe(1);
      const failure = result.stderr.split('\n').find((line) => line.startsWith('tributary start:'));
      expect(failure, explain(result)).toMatch(/LocalStack restarted and lost its data/);
      expect(result.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
      expect(result.stdout).not.toContain('MATCH');
    },
    RUN_TIMEOUT,
  );
});
