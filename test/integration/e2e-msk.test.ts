import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../functions/adapters/kinesis/envelope.js';
import { pipelineResources } from '../../local/runtime/start/pipeline-resources.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kafka, LOCAL_REGION, localAwsConfig, sqsClient } from '../../local/services/clients.js';
import { stateDir } from '../../local/tools/state-dir.js';
import { explain, killWhenProduced, producedSoFar, runStart, startRun } from './helpers/e2e-run.js';
import { pollUntil } from './helpers/poll.js';

const RUN_TIMEOUT = 300_000;
const MSK = ['--transport', 'msk'];

/** The e2e stage's MSK app (synthesized by the first run into .local/cdk.out-e2e-msk). */
function mskResources(pipeline: string) {
  const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
  return pipelineResources(CloudAssembly.load(join(stateDir(), 'cdk.out-e2e-msk'), context), pipeline);
}

describe('tributary start --transport msk: the pipeline on the local Kafka broker', () => {
  it(
    'taxi-rides through the MSK event source mapping and an MSK-sourced Firehose: the warehouse equals the ground truth',
    async () => {
      // Act
      const result = await runStart([...MSK, '--pipeline', 'taxi-rides', '--events', '600', '--seed', '7']);

      // Assess
      expect(result.code, explain(result)).toBe(0);
      expect(result.summary).toMatchObject({
        ok: true,
        produced: 600,
        rawRecords: 600,
        missing: 0,
        extra: 0,
      });
      expect(Number(result.summary?.windows)).toBeGreaterThan(0);
      expect(result.stdout).toMatch(/600 records produced to tributary-e2e-taxi-rides \(4 partitions\)/);
      expect(result.stdout).toContain('Reconciliation: MATCH');
    },
    RUN_TIMEOUT,
  );

  it(
    'dead-letters records written to the topic that are not JSON or not of the pipeline; every valid record is still aggregated',
    async () => {
      // Prepare: a paced run, and two bad records written beside its producer
      const resources = mskResources('click-sessions');
      const run = startRun([...MSK, '--pipeline', 'click-sessions', '--events', '300', '--rate', '40']);
      await pollUntil(
        async () => producedSoFar(run.folder()),
        (sent) => sent >= 40,
        { timeoutMs: 120_000 },
      );
      const producer = kafka().producer();
      await producer.connect();

      // Act
      const wrongPipeline = encodeEnvelope({
        pipeline: 'taxi-rides',
        key: 'u1',
        ts: Date.UTC(2026, 0, 1),
        event: {},
      });
      await producer.send({
        topic: resources.streamName,
        messages: [
          { key: 'u1', value: 'this is not JSON' },
          { key: 'u1', value: wrongPipeline },
        ],
      });
      await producer.disconnect();
      const result = await run.done;

      // Assess: the run matches (it reconciles its own input); the queue holds the two with reasons
      expect(result.code, explain(result)).toBe(0);
      expect(result.summary).toMatchObject({ ok: true, produced: 300, deadLettered: 2 });
      const sqs = sqsClient();
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, MaxNumberOfMessages: 10 }),
      );
      sqs.destroy();
      const reasons = Messages.map((m) => (JSON.parse(m.Body ?? '{}') as { reason: string }).reason).sort();
      expect(reasons).toEqual([
        expect.stringMatching(/^not-json: /),
        expect.stringMatching(/^wrong-pipeline: /),
      ]);
    },
    RUN_TIMEOUT,
  );

  it(
    'an aggregator killed after sending its results is retried, and a runtime SIGKILLed mid-run resumes with --run; the reconciliation matches',
    async () => {
      // Prepare: the first invocation that sends windows is killed before its checkpoint
      const faults = JSON.stringify({ crashOn: [1], crashAfterResults: true });
      const first = startRun([...MSK, '--pipeline', 'taxi-rides', '--events', '400', '--rate', '40'], {
        TRIBUTARY_FAULTS: faults,
      });

      // Act
      const killed = await killWhenProduced(first, 160);
      const resumed = await runStart(['--run', killed.folder ?? '']);

      // Assess: offsets committed in the broker and checkpoints in S3 carry the run over
      expect(killed.signal).toBe('SIGKILL');
      expect(resumed.code, explain(resumed)).toBe(0);
      expect(resumed.summary).toMatchObject({ ok: true, produced: 400, missing: 0, extra: 0, differing: 0 });
      expect(Number(resumed.summary?.resumedFrom)).toBeGreaterThan(0);
    },
    RUN_TIMEOUT,
  );
});
