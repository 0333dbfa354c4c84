import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../functions/adapters/kinesis/envelope.js';
import { validateEvent } from '../../functions/adapters/pipeline-event.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../functions/adapters/state/checkpoint.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { kafkaOnFailureRecord } from '../../local/runtime/event-source-mapping/kafka-on-failure.js';
import { type KafkaRecord, mskEvent } from '../../local/runtime/event-source-mapping/msk-event.js';
import { assemblyDirOf, ensureSynthesized } from '../../local/runtime/synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kafka, readServices, s3Client, sqsClient } from '../../local/services/clients.js';
import { committedCheckpoint } from '../fixtures/checkpoints.js';
import { taxiTrip } from '../fixtures/taxi-trips.js';
import { environmentOf, resourceOf } from './helpers/function-resources.js';
import { drainQueue, invokeCli } from './helpers/invoke-cli.js';

// The Kinesis redrive is tested in redrive.test.ts; here, the MSK app's: Lambda's Kafka record
// names offsets, and the function reads them back from the local broker with a consumer group of
// its own, then queues them in the partition's checkpoint as on Kinesis.

const MSK = ['--transport', 'msk'];
const REDRIVE = 'Redrive-taxi-rides/Handler';
const AGGREGATOR = 'Aggregator-taxi-rides/Handler';
const CLUSTER_ARN = 'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-dev/local-1';
const taxi = getPipeline('taxi-rides');
const TRIPS = 1000;
const PARTITION = 0;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let app: CloudAssembly;
let s3: S3Client;
let sqs: SQSClient;
let broker: Kafka;
let topic: string;

beforeAll(async () => {
  await ensureSynthesized({ transport: 'msk' });
  const endpoint = readServices().localstack?.endpoint;
  app = CloudAssembly.load(
    assemblyDirOf({ transport: 'msk' }),
    defaultLocalContext(endpoint ? { endpoint } : {}),
  );
  s3 = s3Client();
  sqs = sqsClient();
  broker = kafka();
  topic = environmentOf(app, REDRIVE, 'STREAM_NAME');
  const admin = broker.admin();
  await admin.connect();
  try {
    // Created by an earlier run (or `npm start -- --transport msk`) at the template's partitions.
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
});

afterAll(() => {
  s3?.destroy();
  sqs?.destroy();
});

function eventFile(event: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tributary-redrive-msk-')), 'event.json');
  writeFileSync(file, JSON.stringify(event));
  return file;
}

/** Trips of one zone written to the topic's partition, as the broker keeps them. */
async function produceTrips(pickups: readonly number[]): Promise<KafkaRecord[]> {
  const zone = 1 + Math.floor(Math.random() * 263);
  const messages = pickups.map((pickupMs) => {
    const parsed = validateEvent(taxi, taxiTrip({ zone, pickupMs }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const value = Buffer.from(
      encodeEnvelope({ pipeline: taxi.name, key: parsed.key, ts: parsed.ts, event: parsed.event }),
    );
    return { key: Buffer.from(parsed.key), value, timestamp: String(pickupMs + 1000) };
  });
  const producer = broker.producer();
  await producer.connect();
  try {
    const [written] = await producer.send({
      topic,
      messages: messages.map((m) => ({ ...m, partition: PARTITION })),
    });
    const base = BigInt(written?.baseOffset ?? '-1');
    return messages.map((m, i) => ({
      topic,
      partition: PARTITION,
      offset: String(base + BigInt(i)),
      timestamp: Number(m.timestamp),
      key: m.key,
      value: m.value,
      headers: [],
    }));
  } finally {
    await producer.disconnect();
  }
}

/**
 * A dry run provisions the queue and bucket; then a batch of trips in the partition, a checkpoint
 * already past them (the mapping went on after giving up) at `streamTime`, last active a second
 * ago (a busy partition), and Lambda's Kafka on-failure record of the batch in the queue.
 */
async function aKafkaBatchGivenUpOn(streamTime: (pickupMs: number) => number, later: number[] = []) {
  const dry = await invokeCli([REDRIVE, '--event', eventFile({ dryRun: true }), ...MSK]);
  expect(dry.code, dry.stderr).toBe(0);
  const bucket = resourceOf(app, REDRIVE, 'AWS::S3::Bucket');
  const { QueueUrl = '' } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: resourceOf(app, REDRIVE, 'AWS::SQS::Queue') }),
  );
  await drainQueue(sqs, QueueUrl);
  const pickupMs = Date.now() - MINUTE;
  const produced = await produceTrips([
    ...Array.from({ length: TRIPS }, (_, i) => pickupMs + i * 10),
    ...later.map((after) => pickupMs + after),
  ]);
  const trips = produced.slice(0, TRIPS);
  const shard = `${topic}-${PARTITION}`;
  const key = `state/taxi-rides/${shard}.json`;
  const at = streamTime(pickupMs);
  const past = committedCheckpoint({
    pipeline: taxi.name,
    shard,
    position: { sequenceNumber: trips.at(-1)?.offset ?? '', subSequenceNumber: undefined },
    engine: { ...taxi.createEngine().initialState(), streamTime: at },
    lastActivity: { at: Date.now() - 1000, streamTime: at },
  });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: encodeCheckpoint(past) }));
  const message = JSON.stringify(
    kafkaOnFailureRecord(
      {
        records: trips,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
        lastOutcome: undefined,
      },
      {
        eventSourceArn: CLUSTER_ARN,
        bootstrapServers: 'b-1:9098',
        functionArn: 'arn:aws:lambda:us-east-1:0:function:x',
      },
    ),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: message }));
  const checkpoint = async () => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return decodeCheckpoint(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array())));
  };
  return { trips, later: produced.slice(TRIPS), QueueUrl, message, checkpoint };
}

describe('the MSK redrive function, through tributary invoke against the local broker', () => {
  it('reads a Kafka batch back by offset and sends the records of closed windows to late/, once', async () => {
    // Prepare: stream time 2 hours past the trips (their windows closed: 1 hour grace)
    const { trips, QueueUrl, message, checkpoint } = await aKafkaBatchGivenUpOn(
      (pickupMs) => pickupMs + 2 * HOUR,
    );

    // Act: redrive, then a second copy of Lambda's record
    const run = await invokeCli([REDRIVE, '--event', eventFile({}), ...MSK]);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: message }));
    const again = await invokeCli([REDRIVE, '--event', eventFile({}), ...MSK]);

    // Assess: every trip read back and sent to the late stream; the copy finds them taken
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      received: 1,
      redriven: { batches: 1, records: TRIPS, waiting: 0, skipped: 0 },
      wouldRedrive: 0,
      left: [],
      dropped: [],
    });
    expect(run.stderr).toMatch(new RegExp(`Firehose \\S*[Ll]ate\\S*: ${TRIPS} records in`));
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ redriven: { batches: 1, records: 0, skipped: TRIPS } });
    const after = await checkpoint();
    expect(after.redriveInbox).toEqual([]);
    expect(after.pendingLate).toEqual([]);
    expect(after.redriven).toEqual([
      { from: trips[0]?.offset, to: trips.at(-1)?.offset, at: expect.any(Number) },
    ]);
    expect(await drainQueue(sqs, QueueUrl)).toEqual([]);
  });

  it('queues records of open windows in the partition; the batch that closes them sends them to late/', async () => {
    // Prepare: 30 minutes past the trips (their windows open), and a trip 2 hours after them
    const { trips, later, checkpoint } = await aKafkaBatchGivenUpOn(
      (pickupMs) => pickupMs + 30 * MINUTE,
      [2 * HOUR],
    );
    const batch = mskEvent(later, { eventSourceArn: CLUSTER_ARN, bootstrapServers: 'b-1:9098' });

    // Act
    const run = await invokeCli([REDRIVE, '--event', eventFile({}), ...MSK]);
    const queued = (await checkpoint()).redriveInbox.map((r) => r.sequenceNumber);
    const next = await invokeCli([AGGREGATOR, '--event', eventFile(batch), ...MSK]);

    // Assess: queued at their offsets, then sent through the late stream after the batch's write
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      redriven: { batches: 1, records: TRIPS, waiting: TRIPS },
    });
    expect(queued).toEqual(trips.map((t) => t.offset));
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain('redriven records applied late');
    expect(next.stderr).toMatch(new RegExp(`Firehose \\S*[Ll]ate\\S*: ${TRIPS} records in`));
    const after = await checkpoint();
    expect(after.redriveInbox).toEqual([]);
    expect(after.pendingLate).toEqual([]);
    expect(after.position?.sequenceNumber).toBe(later[0]?.offset);
  });
});
