import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../functions/adapters/aggregator/output-records.js';
import { hashKeyOf, KinesisShardLineage } from '../../functions/adapters/kinesis/shard-lineage.js';
import { S3StateStore } from '../../functions/adapters/state/s3-state-store.js';
import { kinesisClient, s3Client } from '../../local/services/clients.js';
import { click, T0 } from '../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from '../unit/adapters/aggregator-harness.js';
import { pollUntil } from './helpers/poll.js';
import { uniqueName } from './helpers/unique.js';

const S = 1000;
const streamName = uniqueName('handover');
const bucket = uniqueName('handover-state');
let kinesis: KinesisClient;
let s3: S3Client;

// ann's records go to the lower child after the split, bob's to the upper one.
const [ann, bob] = ['ann', 'bob'].sort((a, b) => (hashKeyOf(a) < hashKeyOf(b) ? -1 : 1)) as [string, string];

beforeAll(async () => {
  kinesis = kinesisClient();
  s3 = s3Client();
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
