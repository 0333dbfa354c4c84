import { join } from 'node:path';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { pipelineResources } from '../../local/runtime/start/pipeline-resources.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kinesisClient, LOCAL_REGION, localAwsConfig } from '../../local/services/clients.js';
import { stateDir } from '../../local/tools/state-dir.js';
import { explain, killWhenProduced, producedSoFar, runStart, startRun } from './helpers/e2e-run.js';
import { pollUntil } from './helpers/poll.js';

const RUN_TIMEOUT = 300_000;

describe('tributary start: faults', () => {
  it(
    'an aggregator killed mid-batch and one timing out are retried; the aggregates still equal the ground truth',
    async () => {
      // Prepare: web-access-logs closes windows mid-run (1 minute grace), so a killed attempt may
      // already have sent results. Invocation 1 is SIGKILLed at its checkpoint write (after its
      // results went to Firehose), invocation 2 hangs past a 5 s timeout, and the first invocation
      // that sends windows is killed before its checkpoint: the retry sends them again.
      const faults = JSON.stringify({
        crashOn: [1],
        hangOn: [2],
        crashAfterResults: true,
        timeoutSeconds: 5,
      });

      // Act
      const result = await runStart(['--pipeline', 'web-access-logs', '--events', '2400', '--rate', '300'], {
        TRIBUTARY_FAULTS: faults,
      });

      // Assess
      expect(result.code, explain(result)).toBe(0);
      const esm = result.summary?.esm as { failedInvocations: number; invocations: number };
      expect(esm.failedInvocations).toBeGreaterThanOrEqual(2);
      expect(result.summary).toMatchObject({ ok: true, missing: 0, extra: 0, differing: 0 });
      // Whether a retried batch re-sent windows the killed attempt had already delivered:
      // the reconciliation drops them by result id and says how many it dropped.
      expect(Number(result.summary?.duplicateIds)).toBeGreaterThan(0);
      console.log(
        `fault run: ${esm.invocations} invocations, ${esm.failedInvocations} failed, ${result.summary?.duplicateIds} duplicate ids dropped`,
      );
    },
    RUN_TIMEOUT,
  );

  it(
    'a runtime SIGKILLed mid-run resumes from its checkpoints with --run; the reconciliation matches',
    async () => {
      // Prepare
      const first = startRun(['--pipeline', 'taxi-rides', '--events', '400', '--rate', '40']);

      // Act
      const killed = await killWhenProduced(first, 120);
      const resumed = await runStart(['--run', killed.folder ?? '']);

      // Assess
      expect(killed.signal).toBe('SIGKILL');
      expect(resumed.code, explain(resumed)).toBe(0);
      expect(resumed.summary).toMatchObject({ ok: true, produced: 400 });
      expect(Number(resumed.summary?.resumedFrom)).toBeGreaterThan(0);
    },
    RUN_TIMEOUT,
  );

  it(
    'a stream deleted mid-run (LocalStack itself still running) fails the run with a clear message',
    async () => {
      // Prepare
      const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
      const { streamName } = pipelineResources(
        CloudAssembly.load(join(stateDir(), 'cdk.out-e2e'), context),
        'taxi-rides',
      );
      const run = startRun(['--pipeline', 'taxi-rides', '--events', '400', '--rate', '40']);
      await pollUntil(
        async () => producedSoFar(run.folder()),
        (sent) => sent >= 80,
        { timeoutMs: 120_000 },
      );

      // Act
      const kinesis = kinesisClient();
      await kinesis.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }));
      kinesis.destroy();
      const result = await run.done;

      // Assess
      expect(result.code, explain(result)).toBe(1);
      const failure = result.stderr.split('\n').find((line) => line.startsWith('tributary start:'));
      expect(failure).toMatch(/LocalStack (no longer has|lost the) stream/);
      // The same LocalStack session: not reported as a restart (e2e-restart.test.ts restarts one).
      expect(failure).not.toMatch(/LocalStack restarted/);
      expect(result.stdout).not.toContain('Reconciliation: MATCH');
    },
    RUN_TIMEOUT,
  );
});
