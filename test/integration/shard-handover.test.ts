import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../functions/adapters/aggregator/output-records.js';
import { hashKeyOf, KinesisShardLineage } from '../../functions/adapters/kinesis/shard-lineage.js';
import { KinesisRedriveSource } from '../../functions/adapters/redrive/kinesis-redrive-source.js';
import {
  type RedriveDependencies,
  redriveDeadLetters,
} from '../../functions/adapters/redrive/redrive-dead-letters.js';
import { S3StateStore } from '../../functions/adapters/state/s3-state-store.js';
import { onFailureRecord } from '../../local/runtime/event-source-mapping/on-failure.js';
import { kinesisClient, s3Client, sqsClient } from '../../local/services/clients.js';
import { click, T0 } from '../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from '../unit/adapters/aggregator-harness.js';
import { createActiveStream } from './helpers/kinesis.js';
import { pollUntil } from './helpers/poll.js';
import { uniqueName } from './helpers/unique.js';

const S = 1000;
const streamName = uniqueName('handover');
const bucket = uniqueName('handover-state');
let kinesis: KinesisClient;
let s3: S3Client;
let sqs: SQSClient;

// ann's records go to the lower child after the split, bob's to the upper one.
const [ann, bob] = ['ann', 'bob'].sort((a, b) => (hashKeyOf(a) < hashKeyOf(b) ? -1 : 1)) as [string, string];

beforeAll(async () => {
  kinesis = kinesisClient();
  s3 = s3Client();
  sqs = sqsClient();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  await activeStream();
});

afterAll(async () => {
  await kinesis?.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => {});
  const listed = await s3?.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key }));
  if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  await s3?.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
});

async function activeStream(): Promise<string> {
  const summary = await pollUntil(
    () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName })),
    (d) => d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
    { timeoutMs: 30_000 },
  );
  return summary.StreamDescriptionSummary?.StreamARN ?? '';
}

/** Records of the real stream's shard, with its real ARN in every record. */
function onShard(records: KinesisStreamRecord[], arn: string): KinesisStreamRecord[] {
  return records.map((r) => ({ ...r, eventSourceARN: arn }));
}

describe('shard handover against LocalStack (kinesis-mock ListShards, S3 conditional writes)', () => {
  it("a split shard's open windows continue on its children: one row per window, every record", async () => {
    // Prepare: the parent's state, then a real SplitShard between ann's and bob's hash keys.
    const arn = await activeStream();
    const [parent] = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    const parentId = parent?.ShardId ?? '';
    let wall = 1_800_000_000_000;
    const { deps, aggregates } = memoryDeps({
      stateStore: new S3StateStore({ client: s3, bucket, prefix: 'state/' }),
      lineage: new KinesisShardLineage(kinesis),
      now: () => wall,
    });
    await aggregateBatch(
      onShard(
        clickRecords(
          [click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)],
          1,
          parentId,
        ),
        arn,
      ),
      deps,
    );
    await kinesis.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: parentId,
        NewStartingHashKey: (hashKeyOf(ann) + 1n).toString(),
      }),
    );
    await activeStream();
    const children = (
      (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? []
    ).filter((s) => s.ParentShardId === parentId);
    const lower = children.find((s) => s.HashKeyRange?.StartingHashKey === '0')?.ShardId ?? '';
    const upper = children.find((s) => s.HashKeyRange?.StartingHashKey !== '0')?.ShardId ?? '';

    // Act
    const left = await aggregateBatch(
      onShard(clickRecords([click(ann, T0 + 40 * S), click(ann, T0 + 90 * S)], 10, lower), arn),
      deps,
    );
    const right = await aggregateBatch(
      onShard(clickRecords([click(bob, T0 + 50 * S)], 20, upper), arn),
      deps,
    );
    wall += 24 * 3600 * S;
    await flushIdleShards({ ...deps, idleTimeoutMs: 0 });

    // Assess
    expect(children).toHaveLength(2);
    expect([left, right].flatMap((o) => o.response.batchItemFailures)).toEqual([]);
    const rows = (aggregates.records as AggregateRecord[]).map(
      (r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`,
    );
    expect(rows.sort()).toEqual(
      [
        `${ann} 0s clicks=3 on ${lower}`,
        `${ann} 60s clicks=1 on ${lower}`,
        `${bob} 0s clicks=2 on ${upper}`,
      ].sort(),
    );
  });
});

describe('redriving a batch of a shard split since, against LocalStack (kinesis-mock, S3, SQS)', () => {
  it("queues each record the mapping gave up on where its key's windows went: every record counted once", async () => {
    // Prepare: a stream of its own with ann's and bob's clicks in its one shard; the first three
    // applied, the last two given up on (Lambda's on-failure record in a real queue); then a real
    // SplitShard, and each child's first batch, which takes its keys over
    const name = uniqueName('handover-redrive');
    const arn = await createActiveStream(kinesis, name, 1);
    const queueName = uniqueName('handover-redrive-dlq');
    const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    try {
      const [parent] = (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
      const parentId = parent?.ShardId ?? '';
      const clicks = [
        click(ann, T0 + 10 * S),
        click(bob, T0 + 20 * S),
        click(ann, T0 + 30 * S),
        click(ann, T0 + 45 * S),
        click(bob, T0 + 55 * S),
      ];
      const records = await putInOrder(name, arn, clickRecords(clicks, 1, parentId));
      let wall = 1_800_000_000_000;
      const stateStore = new S3StateStore({ client: s3, bucket, prefix: 'redrive-state/' });
      const { deps, aggregates } = memoryDeps({
        stateStore,
        lineage: new KinesisShardLineage(kinesis),
        now: () => wall,
      });
      await aggregateBatch(records.slice(0, 3), deps);
      const failed = records.slice(3);
      const message = JSON.stringify(
        onFailureRecord(
          {
            records: failed.map((r) => ({
              sequenceNumber: r.kinesis.sequenceNumber,
              partitionKey: r.kinesis.partitionKey,
              data: Buffer.from(r.kinesis.data, 'base64'),
              approximateArrivalTimestamp: r.kinesis.approximateArrivalTimestamp * 1000,
            })),
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: 3,
            lastOutcome: undefined,
          },
          {
            shardId: parentId,
            streamArn: arn,
            functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:x',
          },
        ),
      );
      const send = () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message }));
      await send();
      await kinesis.send(
        new SplitShardCommand({
          StreamName: name,
          ShardToSplit: parentId,
          NewStartingHashKey: (hashKeyOf(ann) + 1n).toString(),
        }),
      );
      await pollUntil(
        () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name })),
        (d) => d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
        { timeoutMs: 30_000 },
      );
      const children = (
        (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards ?? []
      ).filter((shard) => shard.ParentShardId === parentId);
      const lower = children.find((shard) => shard.HashKeyRange?.StartingHashKey === '0')?.ShardId ?? '';
      const upper = children.find((shard) => shard.HashKeyRange?.StartingHashKey !== '0')?.ShardId ?? '';
      await aggregateBatch(onShard(clickRecords([click(ann, T0 + 40 * S)], 10, lower), arn), deps);
      await aggregateBatch(onShard(clickRecords([click(bob, T0 + 50 * S)], 20, upper), arn), deps);
      const redriveDeps: RedriveDependencies = {
        ...deps,
        sqs,
        queueUrl,
        source: new KinesisRedriveSource({
          client: kinesis,
          streamName: name,
          shards: new KinesisShardLineage(kinesis),
          pagePauseMs: 0,
        }),
      };

      // Act: the redrive, then a second run on a copy of the message
      const report = await redriveDeadLetters(redriveDeps);
      await send();
      const again = await redriveDeadLetters(redriveDeps);
      wall += 24 * 3600 * S;
      await flushIdleShards({ ...deps, idleTimeoutMs: 0 });

      // Assess: both records read back from the closed parent and queued in the children, the copy
      // found taken there; each window counts them once
      expect(children).toHaveLength(2);
      expect(report.left).toEqual([]);
      expect(report.redriven).toEqual({ batches: 1, records: 2, waiting: 2, skipped: 0 });
      expect(again.left).toEqual([]);
      expect(again.redriven).toEqual({ batches: 1, records: 0, waiting: 0, skipped: 2 });
      const rows = (aggregates.records as AggregateRecord[]).map(
        (r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`,
      );
      expect(rows.sort()).toEqual(
        [`${ann} 0s clicks=4 on ${lower}`, `${bob} 0s clicks=3 on ${upper}`].sort(),
      );
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
      await kinesis.send(new DeleteStreamCommand({ StreamName: name })).catch(() => {});
    }
  });
});

/** Puts records into a single-shard stream one call each, in order: the records with the stream's own sequence numbers. */
async function putInOrder(
  streamName: string,
  arn: string,
  records: readonly KinesisStreamRecord[],
): Promise<KinesisStreamRecord[]> {
  const put: KinesisStreamRecord[] = [];
  for (const record of records) {
    const answer = await kinesis.send(
      new PutRecordCommand({
        StreamName: streamName,
        PartitionKey: record.kinesis.partitionKey,
        Data: Buffer.from(record.kinesis.data, 'base64'),
      }),
    );
    const sequenceNumber = answer.SequenceNumber ?? '';
    put.push({
      ...record,
      eventID: `${answer.ShardId}:${sequenceNumber}`,
      eventSourceARN: arn,
      kinesis: { ...record.kinesis, sequenceNumber },
    });
  }
  return put;
}
