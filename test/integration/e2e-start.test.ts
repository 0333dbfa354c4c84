import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../functions/adapters/kinesis/envelope.js';
import { generatedInput } from '../../local/runtime/start/input.js';
import { pipelineResources } from '../../local/runtime/start/pipeline-resources.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kinesisClient, LOCAL_REGION, localAwsConfig, sqsClient } from '../../local/services/clients.js';
import { stateDir } from '../../local/tools/state-dir.js';
import { explain, runStart, startRun } from './helpers/e2e-run.js';
import { pollUntil } from './helpers/poll.js';

const RUN_TIMEOUT = 300_000;

function e2eResources(pipeline: string) {
  const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
  return pipelineResources(CloudAssembly.load(join(stateDir(), 'cdk.out-e2e'), context), pipeline);
}

describe('tributary start: a full run per example pipeline', () => {
  for (const pipeline of ['taxi-rides', 'web-access-logs', 'click-sessions']) {
    it(
      `${pipeline}: the warehouse aggregates equal the ground truth exactly`,
      async () => {
        // Act
        const result = await runStart(['--pipeline', pipeline, '--events', '300', '--seed', '7']);

        // Assess
        expect(result.code, explain(result)).toBe(0);
        expect(result.summary).toMatchObject({ ok: true, produced: 300, missing: 0, extra: 0, differing: 0 });
        expect(Number(result.summary?.windows)).toBeGreaterThan(0);
        expect(result.stdout).toContain('Reconciliation: MATCH');
      },
      RUN_TIMEOUT,
    );
  }
});

describe('tributary start: poison records', () => {
  it(
    'dead-letters records that are not JSON, schema-invalid or huge, with a reason; every valid record is still aggregated',
    async () => {
      // Prepare
      const resources = e2eResources('taxi-rides');
      const kinesis = kinesisClient();
      const run = startRun(['--pipeline', 'taxi-rides', '--events', '300', '--rate', '40']);
      await pollUntil(
        async () => run.folder(),
        (folder) => folder !== undefined,
        { timeoutMs: 120_000 },
      );
      const bad = (key: string, data: Buffer) => ({ PartitionKey: key, Data: data });
      const invalidEvent = encodeEnvelope({
        pipeline: 'taxi-rides',
        key: '42',
        ts: Date.UTC(2026, 0, 15, 8),
        event: { fare: 'x' },
      });

      // Act: interleaved with the producer's records
      await kinesis.send(
        new PutRecordsCommand({
          StreamName: resources.streamName,
          Records: [
            bad('42', Buffer.from('this is not JSON')),
            bad('42', invalidEvent),
            bad('43', Buffer.alloc(1_000_000, 0x61)),
          ],
        }),
      );
      const tooLarge = await kinesis
        .send(
          new PutRecordCommand({
            StreamName: resources.streamName,
            PartitionKey: '44',
            Data: Buffer.alloc(1_100_000),
          }),
        )
        .then(
          () => 'accepted',
          (error: Error) => error.name,
        );
      const result = await run.done;

      // Assess
      expect(result.code, explain(result)).toBe(0);
      expect(result.summary).toMatchObject({ ok: true, produced: 300, deadLettered: 3 });
      // Over 1 MiB never enters a stream: Kinesis (and LocalStack's kinesis-mock) refuse it.
      expect(tooLarge).toBe('InvalidArgumentException');
      const sqs = sqsClient();
      const messages = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: resources.deadLetterQueueUrl, MaxNumberOfMessages: 10 }),
      );
      const reasons = (messages.Messages ?? []).map(
        (m) => (JSON.parse(m.Body ?? '{}') as { reason?: string }).reason?.split(':')[0],
      );
      expect(reasons.sort()).toEqual(['invalid-event', 'not-json', 'not-json'].sort());
      kinesis.destroy();
      sqs.destroy();
    },
    RUN_TIMEOUT,
  );
});

describe('tributary start: late records', () => {
  it(
    'sends a record later than the grace to late/ and counts it; the windows still match',
    async () => {
      // Prepare: 200 trips, then one whose pickup is 3 hours before the rest (grace is 60 minutes)
      const dir = mkdtempSync(join(tmpdir(), 'tributary-late-'));
      const texts = generatedInput('taxi-rides', 200, 3).map((r) => r.text);
      const trip = JSON.parse(texts[0] ?? '{}') as Record<string, unknown>;
      const shift = (iso: unknown) => new Date(Date.parse(String(iso)) - 3 * 3_600_000).toISOString();
      texts.push(
        JSON.stringify({
          ...trip,
          tpep_pickup_datetime: shift(trip.tpep_pickup_datetime),
          tpep_dropoff_datetime: shift(trip.tpep_dropoff_datetime),
        }),
      );
      const file = join(dir, 'late.jsonl');
      writeFileSync(file, `${texts.join('\n')}\n`);

      // Act
      const result = await runStart(['--pipeline', 'taxi-rides', '--input', file]);

      // Assess
      expect(result.code, explain(result)).toBe(0);
      expect(result.summary).toMatchObject({ ok: true, produced: 201, late: 1, expectedLate: 1 });
    },
    RUN_TIMEOUT,
  );
});

describe('tributary start: replaying the NASA access log TSV', () => {
  it(
    'web-access-logs --input nasa-access-19950801-2000.tsv: all 2,000 requests, windows equal to the ground truth',
    async () => {
      // Act: the README's command (the path is relative to the project, where the CLI runs)
      const result = await runStart([
        '--pipeline',
        'web-access-logs',
        '--input',
        '../shared/data/nasa-access-19950801-2000.tsv',
      ]);

      // Assess
      expect(result.code, explain(result)).toBe(0);
      expect(result.summary).toMatchObject({
        ok: true,
        produced: 2000,
        invalidInput: 0,
        missing: 0,
        extra: 0,
      });
      expect(Number(result.summary?.windows)).toBeGreaterThan(0);
    },
    RUN_TIMEOUT,
  );
});
