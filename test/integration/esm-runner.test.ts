import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteStreamCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSourceMappingRunner } from '../../local/runtime/event-source-mapping/index.js';
import { LocalLambdaRuntime, memoryLogSink } from '../../local/runtime/lambda/index.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kinesisClient, LOCAL_REGION, localAwsConfig, sqsClient } from '../../local/services/clients.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { readJsonLines } from './helpers/json-lines.js';
import { createActiveStream } from './helpers/kinesis.js';
import { pollUntil } from './helpers/poll.js';
import { waitForMessages } from './helpers/sqs.js';
import { uniqueName } from './helpers/unique.js';

// The fixture app (a CDK-shaped template): stream of 2 shards -> recorder function, BatchSize 10,
// partial batch responses, bisection, 1 retry, SQS on-failure destination.
const fixtureDir = join(projectRoot, 'test', 'fixtures', 'templates', 'esm-app');
const runDir = mkdtempSync(join(tmpdir(), 'tributary-esm-'));
const recordFile = join(runDir, 'invocations.jsonl');
const checkpointFile = join(runDir, 'esm-checkpoints.json');

interface Line {
  outcome: 'ok' | 'partial' | 'threw';
  failed?: string;
  records: { seq: string; shard: string; id: number }[];
}

let kinesis: KinesisClient;
let sqs: SQSClient;
let assembly: CloudAssembly;
let lambda: LocalLambdaRuntime;
let runner: EventSourceMappingRunner | undefined;
let streamName: string;
let queueUrl: string;

beforeAll(async () => {
  kinesis = kinesisClient();
  sqs = sqsClient();
  const template = JSON.parse(readFileSync(join(fixtureDir, 'EsmTest.template.json'), 'utf8'));
  // A unique stack name gives every run its own generated stream and queue names.
  assembly = CloudAssembly.fromTemplates(
    { [uniqueName('EsmIt')]: template },
    {
      dir: fixtureDir,
      context: defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION }),
    },
  );
  streamName = assembly.find('StreamF2B4C8A1').physicalName;
  const queue = assembly.find('DeadLetters7C1E8E24');
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queue.physicalName }))).QueueUrl ?? '';
  await createActiveStream(kinesis, streamName, 2);
  lambda = new LocalLambdaRuntime(assembly, {
    local: { endpoint: localAwsConfig().endpoint, region: LOCAL_REGION },
    logs: memoryLogSink(),
    environmentOverrides: () => ({ RECORD_FILE: recordFile }),
  });
});

afterAll(async () => {
  await runner?.stop();
  lambda?.close();
  await kinesis
    ?.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }))
    .catch(() => {});
  if (queueUrl) await sqs?.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
  rmSync(runDir, { recursive: true, force: true });
});

const lines = () => readJsonLines<Line>(recordFile);

describe('event source mapping runner against LocalStack Kinesis', () => {
  it('delivers in order per shard, resumes a partial batch failure, and sends a poison batch to SQS in AWS format', async () => {
    // Prepare: 60 records over 12 keys; id 7 fails once (partial batch response), id 23 is poison.
    const entries = Array.from({ length: 60 }, (_, id) => ({
      PartitionKey: `key-${id % 12}`,
      Data: Buffer.from(
        JSON.stringify({ id, behaviour: id === 7 ? 'fail-once' : id === 23 ? 'poison' : 'ok' }),
      ),
    }));
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
    expect(put.FailedRecordCount ?? 0).toBe(0);
    const poison = put.Records?.[23];

    // Act
    runner = EventSourceMappingRunner.start({
      assembly,
      lambda,
      context: defaultLocalContext({ endpoint: localAwsConfig().endpoint }),
      kinesis,
      sqs,
      checkpointFile,
      polling: { pollIntervalMs: 100, backoffBaseMs: 50, maxBackoffMs: 500 },
      log: () => {},
    });
    const progress = await pollUntil(
      async () => runner?.progress()[0]?.totals,
      (t) => (t?.recordsProcessed ?? 0) + (t?.recordsDiscarded ?? 0) === 60,
      { timeoutMs: 60_000 },
    );
    const messages = await waitForMessages(sqs, queueUrl, { timeoutMs: 20_000 });
    await runner.stop();
    runner = undefined;

    // Assess: every record but the poison one processed, the poison one discarded
    expect(progress).toMatchObject({ shards: 2, recordsRead: 60, recordsProcessed: 59, recordsDiscarded: 1 });
    const all = lines();
    const processed = new Set(
      all.flatMap((l) =>
        l.outcome === 'ok'
          ? l.records.map((r) => r.id)
          : l.outcome === 'partial'
            ? l.records.filter((r) => BigInt(r.seq) < BigInt(l.failed ?? '0')).map((r) => r.id)
            : [],
      ),
    );
    expect([...processed].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i).filter((i) => i !== 23),
    );

    // in order per shard: first deliveries of each shard's records come in sequence number order
    for (const shard of new Set(all.flatMap((l) => l.records.map((r) => r.shard)))) {
      const seen = new Set<string>();
      const firstDeliveries = all.flatMap((l) =>
        l.records.filter((r) => r.shard === shard && !seen.has(r.seq) && seen.add(r.seq)),
      );
      const seqs = firstDeliveries.map((r) => BigInt(r.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }

    // the partial batch response: reported once (whichever environment the retry lands in), and the
    // next invocation of that shard starts at the failed record
    expect(all.filter((l) => l.outcome === 'partial')).toHaveLength(1);
    const partialAt = all.findIndex((l) => l.outcome === 'partial');
    const partial = all[partialAt];
    expect(partial?.records.find((r) => r.seq === partial.failed)?.id).toBe(7);
    const retried = all.slice(partialAt + 1).find((l) => l.records[0]?.shard === partial?.records[0]?.shard);
    expect(retried?.records[0]?.seq).toBe(partial?.failed);

    // AWS's on-failure invocation record for the isolated poison record
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0]?.Body ?? '{}');
    expect(body).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: lambda.function('Recorder3A9D4C11').spec.arn,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: poison?.ShardId,
        startSequenceNumber: poison?.SequenceNumber,
        endSequenceNumber: poison?.SequenceNumber,
        approximateArrivalOfFirstRecord: expect.stringMatching(/Z$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/Z$/),
        batchSize: 1,
        streamArn: `arn:aws:kinesis:${LOCAL_REGION}:000000000000:stream/${streamName}`,
      },
    });

    // the checkpoints of both shards are on disk at the last record of each shard
    const saved = JSON.parse(readFileSync(checkpointFile, 'utf8'));
    const lastPerShard = new Map<string, string>();
    for (const r of put.Records ?? [])
      if (r.ShardId && r.SequenceNumber) lastPerShard.set(r.ShardId, r.SequenceNumber);
    const mappingCheckpoints = Object.values(saved.mappings)[0] as Record<string, { sequenceNumber: string }>;
    for (const [shard, seq] of lastPerShard) expect(mappingCheckpoints[shard]?.sequenceNumber).toBe(seq);
  });
});
