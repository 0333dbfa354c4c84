import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { DeleteStreamCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../functions/adapters/aggregator/aggregate-batch.js';
import { aggregatorDependencies } from '../../functions/adapters/aggregator/from-env.js';
import { readAggregatorEnv } from '../../functions/adapters/config.js';
import { CheckpointConflictError } from '../../functions/adapters/errors.js';
import { produceEvents } from '../../functions/adapters/producer/produce-events.js';
import { kinesisWriter } from '../../functions/adapters/producer/record-writer.js';
import { S3StateStore } from '../../functions/adapters/state/s3-state-store.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import {
  firehoseClient,
  kinesisClient,
  LOCAL_REGION,
  s3Client,
  sqsClient,
} from '../../local/services/clients.js';
import { taxiTrip } from '../fixtures/taxi-trips.js';
import { createActiveStream, readSingleShard } from './helpers/kinesis.js';
import { pollUntil } from './helpers/poll.js';
import { uniqueName } from './helpers/unique.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const bucket = uniqueName('agg-warehouse');
const streamName = uniqueName('agg-taxi');
const queueName = uniqueName('agg-dlq');
const aggregatesStream = uniqueName('agg-aggregates');
const lateStream = uniqueName('agg-late');
const ROLE = 'arn:aws:iam::000000000000:role/firehose';
let kinesis: KinesisClient;
let s3: S3Client;
let sqs: SQSClient;
let firehose: FirehoseClient;
let queueUrl: string;

async function createDirectPut(name: string, prefix: string): Promise<void> {
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: {
        BucketARN: `arn:aws:s3:::${bucket}`,
        RoleARN: ROLE,
        Prefix: prefix,
      },
    }),
  );
  await pollUntil(
    () => firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name })),
    (d) => d.DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE',
    { timeoutMs: 30_000 },
  );
}

/** Reads the whole (single-shard) stream and shapes it as the event the Kinesis ESM would send. */
async function readAsLambdaEvent(): Promise<KinesisStreamEvent> {
  const { shardId: shard, records: read } = await readSingleShard(kinesis, streamName);
  const arn = `arn:aws:kinesis:${LOCAL_REGION}:000000000000:stream/${streamName}`;
  const records: KinesisStreamRecord[] = read.map((r) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey ?? '',
      sequenceNumber: r.SequenceNumber ?? '',
      data: Buffer.from(r.Data ?? []).toString('base64'),
      approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shard}:${r.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/aggregator',
    awsRegion: LOCAL_REGION,
    eventSourceARN: arn,
  }));
  return { Records: records };
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const bodies: string[] = [];
  for (const o of listed.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
    bodies.push((await got.Body?.transformToString()) ?? '');
  }
  return bodies;
}

// Only each object's final newline is dropped: a blank line inside fails JSON.parse, as it would be
// a row of NULLs in Athena.
const lines = (bodies: string[]) =>
  bodies.flatMap((b) => (b === '' ? [] : b.replace(/\n$/, '').split('\n'))).map((l) => JSON.parse(l));

beforeAll(async () => {
  kinesis = kinesisClient();
  s3 = s3Client();
  sqs = sqsClient();
  firehose = firehoseClient();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? '';
  await createActiveStream(kinesis, streamName, 1);
  await createDirectPut(aggregatesStream, 'aggregates/');
  await createDirectPut(lateStream, 'late/');
});

afterAll(async () => {
  await kinesis?.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => {});
  for (const name of [aggregatesStream, lateStream]) {
    await firehose?.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name })).catch(() => {});
  }
  await sqs?.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
  const listed = await s3?.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  const keys = (listed?.Contents ?? []).map((o) => ({ Key: o.Key }));
  if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  await s3?.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
});

describe('aggregator against LocalStack (S3 state, SQS dead letters, Firehose direct put)', () => {
  it('aggregates a produced stream once, dead-letters poison, and refuses a stale checkpoint write', async () => {
    // Prepare: 4 trips in zone 132 in [T0, T0+5m), a trip at T0+66m closing it, and one poison record.
    const pipeline = getPipeline('taxi-rides');
    const trips = [1, 2, 3, 4].map((i) => taxiTrip({ zone: 132, pickupMs: T0 + i * MIN, fare: 10 }));
    const produced = await produceEvents(
      pipeline,
      [...trips, taxiTrip({ zone: 48, pickupMs: T0 + 66 * MIN })],
      { writer: kinesisWriter({ client: kinesis }), stream: streamName },
    );
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [{ PartitionKey: 'x', Data: Buffer.from('not json') }],
      }),
    );
    const event = await readAsLambdaEvent();
    const env = readAggregatorEnv({
      PIPELINE_NAME: 'taxi-rides',
      STATE_BUCKET: bucket,
      AGGREGATES_DELIVERY_STREAM: aggregatesStream,
      LATE_DELIVERY_STREAM: lateStream,
      DEAD_LETTER_QUEUE_URL: queueUrl,
    });
    const deps = aggregatorDependencies(env, pipeline, { s3, firehose, sqs });

    // Act: the batch, then Lambda delivering the same batch again.
    const first = await aggregateBatch(event.Records, deps);
    const retry = await aggregateBatch(event.Records, deps);

    // Assess
    expect(produced.accepted).toBe(5);
    expect(event.Records).toHaveLength(6);
    expect(first.response.batchItemFailures).toEqual([]);
    expect(first.stats).toMatchObject({ recordsIn: 6, invalidRecords: 1, windowsClosed: 1 });
    expect(retry.stats).toMatchObject({ recordsIn: 0, skipped: 6 });
    const results = lines(
      await pollUntil(
        () => objectsUnder('aggregates/'),
        (b) => b.length >= 1,
        { timeoutMs: 10_000 },
      ),
    );
    expect(results).toEqual([
      expect.objectContaining({
        pipeline: 'taxi-rides',
        key: '132',
        window_start: T0,
        window_end: T0 + 5 * MIN,
      }),
    ]);
    expect(results[0].values).toMatchObject({ trips: 4, avg_fare: 10 });
    const dead = await pollUntil(
      () =>
        sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        ),
      (r) => (r.Messages?.length ?? 0) > 0,
      { timeoutMs: 10_000 },
    );
    expect(JSON.parse(dead.Messages?.[0]?.Body ?? '{}')).toMatchObject({
      pipeline: 'taxi-rides',
      reason: expect.stringMatching(/^not-json: /),
      data_base64: Buffer.from('not json').toString('base64'),
    });

    // A writer holding an ETag from before another write loses against real S3. (The bodies differ:
    // S3's ETag is the MD5 of the content, so rewriting identical bytes keeps the ETag.)
    const store = new S3StateStore({ client: s3, bucket });
    const shard = event.Records[0]?.eventID.split(':')[0] ?? '';
    const current = await store.get('taxi-rides', shard);
    await store.put('taxi-rides', shard, Buffer.from('{"writer":"a"}'), current?.etag);
    const stale = store.put('taxi-rides', shard, Buffer.from('{"writer":"b"}'), current?.etag);
    await expect(stale).rejects.toBeInstanceOf(CheckpointConflictError);
    const firstWrite = store.put('taxi-rides', 'shardId-999', new Uint8Array([1]), undefined);
    await expect(firstWrite).resolves.toMatch(/.+/);
    await expect(
      store.put('taxi-rides', 'shardId-999', new Uint8Array([2]), undefined),
    ).rejects.toBeInstanceOf(CheckpointConflictError);
    // A reader holding the current ETag is told "not modified" (304) instead of getting the body.
    const latest = await store.get('taxi-rides', 'shardId-999');
    const etag = latest && 'etag' in latest ? latest.etag : '';
    await expect(store.get('taxi-rides', 'shardId-999', etag)).resolves.toEqual({ notModified: true, etag });
  });
});
