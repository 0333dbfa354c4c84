import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStreamSummaryCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../functions/adapters/kinesis/envelope.js';
import { validateEvent } from '../../functions/adapters/pipeline-event.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../functions/adapters/state/checkpoint.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { kinesisEvent } from '../../local/runtime/event-source-mapping/kinesis-event.js';
import { onFailureRecord } from '../../local/runtime/event-source-mapping/on-failure.js';
import { ensureSynthesized } from '../../local/runtime/synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kinesisClient, readServices, s3Client, sqsClient } from '../../local/services/clients.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { committedCheckpoint } from '../fixtures/checkpoints.js';
import { taxiTrip } from '../fixtures/taxi-trips.js';
import { resourceOf as functionResource } from './helpers/function-resources.js';
import { drainQueue, invokeCli } from './helpers/invoke-cli.js';

const REDRIVE = 'Redrive-taxi-rides/Handler';
const FLUSH = 'Aggregator-taxi-rides/IdleFlush';
const AGGREGATOR = 'Aggregator-taxi-rides/Handler';
/** AWS's EventBridge scheduled event, as the idle flush's schedule sends it. */
const SCHEDULED_EVENT = join(
  projectRoot,
  'test',
  'fixtures',
  'aws',
  'powertools-ts-cloudwatch-scheduled-event.json',
);
const taxi = getPipeline('taxi-rides');
/** The aggregator's batch size: over HTTP/2, a GetRecords page this size broke against LocalStack. */
const TRIPS = 1000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let assembly: CloudAssembly;
let s3: S3Client;
let sqs: SQSClient;
let kinesis: KinesisClient;

beforeAll(async () => {
  await ensureSynthesized();
  const endpoint = readServices().localstack?.endpoint;
  assembly = CloudAssembly.load(undefined, defaultLocalContext(endpoint ? { endpoint } : {}));
  s3 = s3Client();
  sqs = sqsClient();
  kinesis = kinesisClient();
});

/** The physical name of the resource of `type` that the redrive's environment names. */
function resourceOf(type: string): string {
  return functionResource(assembly, REDRIVE, type);
}

function eventFile(event: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tributary-redrive-')), 'event.json');
  writeFileSync(file, JSON.stringify(event));
  return file;
}

/**
 * A batch's worth of trips of one zone (TRIPS) put into the taxi-rides stream: one shard, and what
 * the stream answered. As many as the mapping's batch: a page that size is what a redrive reads.
 */
async function putTrips(streamName: string, laterPickupOffsetMs?: number) {
  const zone = 1 + Math.floor(Math.random() * 263);
  const pickupMs = Date.now() - 60_000;
  const pickups = Array.from({ length: TRIPS }, (_, i) => pickupMs + i * 10);
  if (laterPickupOffsetMs !== undefined) pickups.push(pickupMs + laterPickupOffsetMs);
  const entries = pickups.map((pickup) => {
    const parsed = validateEvent(taxi, taxiTrip({ zone, pickupMs: pickup }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const data = encodeEnvelope({ pipeline: taxi.name, key: parsed.key, ts: parsed.ts, event: parsed.event });
    return { key: parsed.key, data };
  });
  const written = [];
  for (let i = 0; i < entries.length; i += 500) {
    const put = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: entries.slice(i, i + 500).map((e) => ({ PartitionKey: e.key, Data: e.data })),
      }),
    );
    written.push(...(put.Records ?? []));
  }
  expect(written).toHaveLength(pickups.length);
  const shardId = written[0]?.ShardId ?? '';
  expect(written.every((r) => r.ShardId === shardId && r.SequenceNumber)).toBe(true);
  const { StreamDescriptionSummary } = await kinesis.send(
    new DescribeStreamSummaryCommand({ StreamName: streamName }),
  );
  return {
    key: entries[0]?.key ?? '',
    pickupMs,
    shardId,
    streamArn: StreamDescriptionSummary?.StreamARN ?? '',
    records: written.map((r, i) => ({
      sequenceNumber: r.SequenceNumber ?? '',
      partitionKey: entries[i]?.key ?? '',
      data: entries[i]?.data ?? new Uint8Array(),
      approximateArrivalTimestamp: Date.now(),
    })),
  };
}

/**
 * A dry run provisions the stream, queue and bucket; then a batch of trips in the stream (and
 * maybe one more trip of the zone after it), a checkpoint already past the batch (the mapping went on after
 * giving up on it) at `streamTime` and last active at `lastActiveAt`, and Lambda's on-failure
 * record of the batch in the dead-letter queue.
 */
async function aBatchGivenUpOn(options: {
  /** A trip of the zone after the batch, picked up this long after the batch's first one. */
  laterTripAfterMs?: number;
  streamTime: (pickupMs: number) => number;
  lastActiveAt: number;
}) {
  const dry = await invokeCli([REDRIVE, '--event', eventFile({ dryRun: true })]);
  expect(dry.code, dry.stderr).toBe(0);
  const bucket = resourceOf('AWS::S3::Bucket');
  const { QueueUrl = '' } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: resourceOf('AWS::SQS::Queue') }),
  );
  await drainQueue(sqs, QueueUrl);
  const all = await putTrips(resourceOf('AWS::Kinesis::Stream'), options.laterTripAfterMs);
  const trips = { ...all, records: all.records.slice(0, TRIPS), later: all.records.slice(TRIPS) };
  const last = trips.records.at(-1)?.sequenceNumber ?? '';
  const key = `state/taxi-rides/${trips.shardId}.json`;
  const past = committedCheckpoint({
    pipeline: taxi.name,
    shard: trips.shardId,
    position: { sequenceNumber: last, subSequenceNumber: undefined },
    engine: { ...taxi.createEngine().initialState(), streamTime: options.streamTime(trips.pickupMs) },
    lastActivity: { at: options.lastActiveAt, streamTime: options.streamTime(trips.pickupMs) },
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: encodeCheckpoint(past) }));
  const message = JSON.stringify(
    onFailureRecord(
      {
        records: trips.records,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
        lastOutcome: undefined,
      },
      {
        shardId: trips.shardId,
        streamArn: trips.streamArn,
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:x',
      },
    ),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: message }));
  const checkpoint = async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return decodeCheckpoint(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
  };
  return { trips, last, QueueUrl, message, checkpoint };
}

describe('the redrive function, through tributary invoke against LocalStack', () => {
  it('queues a batch the mapping gave up on, read back from the stream, once; the idle flush applies it', async () => {
    // Prepare: the shard quiet for 10 minutes, at the trips' time (their windows open: 1 hour grace)
    const { trips, last, QueueUrl, message, checkpoint } = await aBatchGivenUpOn({
      streamTime: (pickupMs) => pickupMs,
      lastActiveAt: Date.now() - 10 * 60_000,
    });
    /** The trips the checkpoint's windows hold for the zone, once they close. */
    const tripsHeld = async () =>
      taxi
        .createEngine()
        .flush((await checkpoint()).engine)
        .results.filter((r) => r.key === trips.key)
        .reduce((sum, r) => sum + Number(r.values?.trips ?? 0), 0);

    // Act: redrive, then the same message again (a second copy of Lambda's record), then the
    // scheduled idle flush
    const run = await invokeCli([REDRIVE, '--event', eventFile({})]);
    const queued = await checkpoint();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: message }));
    const again = await invokeCli([REDRIVE, '--event', eventFile({})]);
    const flush = await invokeCli([FLUSH, '--event', SCHEDULED_EVENT]);

    // Assess: queued once, applied by the flush (the trips' windows stay open: 1 hour grace)
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      received: 1,
      redriven: { batches: 1, records: TRIPS, waiting: TRIPS, skipped: 0 },
      wouldRedrive: 0,
      left: [],
      dropped: [],
    });
    expect(run.stderr).toMatch(/SQS \S+DeadLetters\S+: 1 message removed \(\d+ in the queue\)/);
    expect(queued.redriveInbox.map((r) => r.sequenceNumber)).toEqual(
      trips.records.map((r) => r.sequenceNumber),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ redriven: { batches: 1, records: 0, skipped: TRIPS } });
    expect(flush.code, flush.stderr).toBe(0);
    expect(await tripsHeld()).toBe(TRIPS);
    const after = await checkpoint();
    expect(after.redriveInbox).toEqual([]);
    expect(after.position?.sequenceNumber).toBe(last);
    expect(after.redriven).toEqual([
      { from: trips.records[0]?.sequenceNumber, to: last, at: expect.any(Number) },
    ]);
    expect(await drainQueue(sqs, QueueUrl)).toEqual([]);
  });

  it('on a busy shard, sends the records of windows closed by now to late/ itself', async () => {
    // Prepare: the shard active a second ago, its stream time 2 hours past the trips (their windows
    // closed: 1 hour grace)
    const { checkpoint } = await aBatchGivenUpOn({
      streamTime: (pickupMs) => pickupMs + 2 * HOUR,
      lastActiveAt: Date.now() - 1000,
    });

    // Act
    const run = await invokeCli([REDRIVE, '--event', eventFile({})]);

    // Assess: nothing waits; the late stream got every trip
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      redriven: { batches: 1, records: TRIPS, waiting: 0, skipped: 0 },
    });
    expect(run.stderr).toMatch(new RegExp(`Firehose \\S*[Ll]ate\\S*: ${TRIPS} records in`));
    const after = await checkpoint();
    expect(after.redriveInbox).toEqual([]);
    expect(after.pendingLate).toEqual([]);
  });

  it('on a busy shard, the batch whose records close the windows of queued records sends them to late/', async () => {
    // Prepare: the shard active a second ago, 30 minutes past the trips (their windows open), and a
    // trip 2 hours after them for its next batch
    const { trips, checkpoint } = await aBatchGivenUpOn({
      laterTripAfterMs: 2 * HOUR,
      streamTime: (pickupMs) => pickupMs + 30 * MINUTE,
      lastActiveAt: Date.now() - 1000,
    });
    const batch = kinesisEvent(trips.later, {
      shardId: trips.shardId,
      streamArn: trips.streamArn,
      region: 'us-east-1',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/aggregator',
    });

    // Act
    const run = await invokeCli([REDRIVE, '--event', eventFile({})]);
    const queued = (await checkpoint()).redriveInbox.length;
    const next = await invokeCli([AGGREGATOR, '--event', eventFile(batch)]);

    // Assess: queued, then sent through the late stream after the batch's own write
    expect(run.code, run.stderr).toBe(0);
    expect(queued).toBe(TRIPS);
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout)).toEqual({ batchItemFailures: [] });
    expect(next.stderr).toContain('redriven records applied late');
    expect(next.stderr).toMatch(new RegExp(`Firehose \\S*[Ll]ate\\S*: ${TRIPS} records in`));
    const after = await checkpoint();
    expect(after.redriveInbox).toEqual([]);
    expect(after.pendingLate).toEqual([]);
    expect(after.position?.sequenceNumber).toBe(trips.later[0]?.sequenceNumber);
  });

  it('exits 1 for an event it does not take, saying what it expects', async () => {
    // Act
    const run = await invokeCli([REDRIVE, '--event', eventFile({ dryrun: true })]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'redrive event must be {"dryRun"?: boolean, "maxMessages"?: 1-100000, "dropExpired"?: boolean}',
    );
  });
});
