import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FirehoseDelivery,
  mskConsumerGroupId,
  startFirehoseDelivery,
} from '../../local/runtime/firehose/index.js';
import { kafka, kinesisClient, s3Client } from '../../local/services/clients.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { runUntilReadyThenKill } from './helpers/killed-child.js';
import { pollUntil } from './helpers/poll.js';
import { deleteBucket, readObjectLines } from './helpers/s3-objects.js';
import { uniqueName } from './helpers/unique.js';

const bucket = uniqueName('fh-msk-warehouse');
const topic = uniqueName('fh-msk-taxi');
const runDir = mkdtempSync(join(tmpdir(), 'tributary-firehose-msk-'));
const groups: string[] = [];
const topics: string[] = [topic];
let s3: S3Client;
let kinesis: KinesisClient;
let client: Kafka;
let admin: Admin;

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 10, 22, 22, 30); // three event hours over two dates

// The MSK transport's raw stream (msk-contract.md, item 5): the Kinesis raw stream's destination.
function resource(name: string, topicName: string, source: Record<string, unknown> = {}) {
  return {
    logicalId: 'RawDeliveryStream',
    physicalName: name,
    properties: {
      DeliveryStreamType: 'MSKAsSource',
      MSKSourceConfiguration: {
        MSKClusterARN: 'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-test/0000-s1',
        TopicName: topicName,
        AuthenticationConfiguration: { Connectivity: 'PRIVATE', RoleARN: 'arn:aws:iam::000000000000:role/r' },
        ...source,
      },
      ExtendedS3DestinationConfiguration: {
        BucketARN: `arn:aws:s3:::${bucket}`,
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
        CompressionFormat: 'GZIP',
        DynamicPartitioningConfiguration: { Enabled: true },
        Prefix: `raw/${name}/event_date=!{partitionKeyFromQuery:event_date}/event_hour=!{partitionKeyFromQuery:event_hour}/`,
        ErrorOutputPrefix: `errors/${name}/!{firehose:error-output-type}/`,
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'MetadataExtraction',
              Parameters: [
                {
                  ParameterName: 'MetadataExtractionQuery',
                  ParameterValue:
                    '{"event_date":(.ts/1000|strftime("%Y-%m-%d")),"event_hour":(.ts/1000|strftime("%H"))}',
                },
                { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
              ],
            },
            { Type: 'AppendDelimiterToRecord', Parameters: [] },
          ],
        },
      },
    },
  };
}

function envelopes(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return JSON.stringify({
      v: 1,
      pipeline: 'taxi-rides',
      key: `zone-${n % 7}`,
      ts: BASE + (n % 3) * HOUR,
      n,
    });
  });
}

/** Sends the lines keyed by zone, round robin over 3 partitions, with Kafka timestamps if given. */
async function produce(topicName: string, lines: readonly string[], timestampMs?: number): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < lines.length; i += 250) {
      const messages = lines.slice(i, i + 250).map((value, j) => ({
        key: JSON.parse(value).key as string,
        partition: (i + j) % 3,
        value,
        ...(timestampMs === undefined ? {} : { timestamp: String(timestampMs) }),
      }));
      await producer.sendBatch({ topicMessages: [{ topic: topicName, messages }], acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

const readWarehouse = (prefix: string) => readObjectLines(s3, bucket, prefix);

/** The group's committed offset per partition (-1: none). */
async function committed(groupId: string, topicName: string): Promise<Record<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topicName] });
  return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

async function start(name: string, topicName = topic, source?: Record<string, unknown>) {
  groups.push(mskConsumerGroupId(name));
  return startFirehoseDelivery({
    resources: [resource(name, topicName, source)],
    s3,
    kinesis,
    kafka: client,
    runDir,
  });
}

async function waitForRecords(delivery: FirehoseDelivery, count: number): Promise<void> {
  await pollUntil(
    async () => delivery.totals().recordsIn,
    (n) => n >= count,
    { timeoutMs: 30_000 },
  );
}

// A runtime process to kill: starts the delivery, waits until it has read `count` records into its
// 60 s buffers, says so, and waits to be killed.
const CHILD = `
import { startFirehoseDelivery } from '${resolve(projectRoot, 'local/runtime/firehose/index.ts')}';
import { kafka, kinesisClient, s3Client } from '${resolve(projectRoot, 'local/services/clients.ts')}';
const { resources, runDir, count } = JSON.parse(process.env.CHILD_INPUT);
const delivery = await startFirehoseDelivery({ resources, s3: s3Client(), kinesis: kinesisClient(), kafka: kafka(), runDir });
while (delivery.totals().recordsIn < count) await new Promise((r) => setTimeout(r, 50));
process.stdout.write(JSON.stringify(delivery.totals()) + '\\n');
setInterval(() => {}, 1000);
`;

beforeAll(async () => {
  s3 = s3Client();
  kinesis = kinesisClient();
  client = kafka({ clientId: uniqueName('fh-msk-test') });
  admin = client.admin();
  await admin.connect();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
});

afterAll(async () => {
  await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.deleteGroups(groups).catch(() => undefined);
  await admin?.disconnect();
  await deleteBucket(s3, bucket);
  s3?.destroy();
  kinesis?.destroy();
  rmSync(runDir, { recursive: true, force: true });
});

describe('Firehose delivery from a Kafka topic (MSKAsSource)', () => {
  const name = uniqueName('fh-msk-raw');
  const first = envelopes(0, 600);
  const second = envelopes(1000, 45);

  it('delivers every record of a 3-partition topic once, committing offsets only once they are in S3', async () => {
    // Prepare
    await produce(topic, first);
    const ends = await admin.fetchTopicOffsets(topic);
    const delivery = await start(name);
    let whileBuffered: Record<number, number>;
    let objectsWhileBuffered: number;
    let afterFlush: Record<number, number>;
    try {
      // Act: everything read into 60 s buffers; a commit would be due every 500 ms
      await waitForRecords(delivery, first.length);
      await sleep(1500);
      whileBuffered = await committed(mskConsumerGroupId(name), topic);
      objectsWhileBuffered = (await readWarehouse(`raw/${name}/`)).length;
      await delivery.flush();
      afterFlush = await committed(mskConsumerGroupId(name), topic);
    } finally {
      await delivery.stop();
    }

    // Assess
    expect(ends.every((e) => Number(e.high) > 0)).toBe(true); // each partition holds records
    expect(delivery.totals()).toMatchObject({ recordsIn: first.length, errorRecords: 0 });
    expect(objectsWhileBuffered).toBe(0);
    expect(whileBuffered).toEqual({ 0: -1, 1: -1, 2: -1 });
    expect(afterFlush).toEqual(Object.fromEntries(ends.map((e) => [e.partition, Number(e.high)])));
    const raw = await readWarehouse(`raw/${name}/`);
    const keyPattern = new RegExp(
      `^raw/${name}/event_date=(\\d{4}-\\d{2}-\\d{2})/event_hour=(\\d{2})/${name}-1-\\d{4}(-\\d{2}){5}-[0-9a-f-]{36}\\.gz$`,
    );
    for (const object of raw) {
      const [, date, hour] = keyPattern.exec(object.key) ?? [];
      expect(object.key).toMatch(keyPattern);
      for (const line of object.lines) {
        expect(new Date(JSON.parse(line).ts).toISOString().slice(0, 13)).toBe(`${date}T${hour}`);
      }
    }
    expect(raw.flatMap((o) => o.lines).sort()).toEqual([...first].sort());
  });

  it('resumes with the same group after a restart: only records produced since are delivered', async () => {
    // Prepare
    const delivery = await start(name);
    try {
      // Act
      await produce(topic, second);
      await waitForRecords(delivery, second.length);
      expect(await delivery.readToTip()).toBe(true);
      await sleep(1000); // room for records read a second time to show up
    } finally {
      await delivery.stop();
    }

    // Assess: stop() committed what its final flush wrote, before leaving the group
    const ends = await admin.fetchTopicOffsets(topic);
    expect(await committed(mskConsumerGroupId(name), topic)).toEqual(
      Object.fromEntries(ends.map((e) => [e.partition, Number(e.high)])),
    );
    expect(delivery.totals().recordsIn).toBe(second.length);
    const lines = (await readWarehouse(`raw/${name}/`)).flatMap((o) => o.lines);
    expect(lines.sort()).toEqual([...first, ...second].sort());
  });

  it('starts a new group at ReadFromTimestamp: older records are not delivered', async () => {
    // Prepare: a topic with records two hours old, then records of now
    const timed = uniqueName('fh-msk-timed');
    topics.push(timed);
    await admin.createTopics({ topics: [{ topic: timed, numPartitions: 3 }], waitForLeaders: true });
    const now = Date.now();
    const old = envelopes(2000, 30);
    const recent = envelopes(3000, 30);
    await produce(timed, old, now - 2 * HOUR);
    await produce(timed, recent, now);
    const timedName = uniqueName('fh-msk-timed');

    // Act
    const delivery = await start(timedName, timed, {
      ReadFromTimestamp: new Date(now - HOUR).toISOString(),
    });
    try {
      expect(await delivery.readToTip()).toBe(true);
    } finally {
      await delivery.stop();
    }

    // Assess
    const lines = (await readWarehouse(`raw/${timedName}/`)).flatMap((o) => o.lines);
    expect(lines.sort()).toEqual([...recent].sort());
  });

  it('a runtime killed with full buffers committed nothing: the next start delivers every record', async () => {
    // Prepare
    const killedTopic = uniqueName('fh-msk-killed');
    topics.push(killedTopic);
    await admin.createTopics({ topics: [{ topic: killedTopic, numPartitions: 3 }], waitForLeaders: true });
    const records = envelopes(4000, 90);
    await produce(killedTopic, records);
    const killedName = uniqueName('fh-msk-killed');
    groups.push(mskConsumerGroupId(killedName));

    // Act: a process reads everything into its buffers and is killed; a new one starts with the same group
    const said = await runUntilReadyThenKill('firehose-msk-kill-child', CHILD, {
      resources: [resource(killedName, killedTopic)],
      runDir,
      count: records.length,
    });
    const committedByKilled = await committed(mskConsumerGroupId(killedName), killedTopic);
    const startedAt = Date.now();
    const delivery = await start(killedName, killedTopic);
    try {
      await waitForRecords(delivery, records.length);
    } finally {
      await delivery.stop();
    }
    const secondsToRead = (Date.now() - startedAt) / 1000;

    // Assess
    expect(JSON.parse(said)).toMatchObject({ recordsIn: records.length, objectsWritten: 0 });
    expect(committedByKilled).toEqual({ 0: -1, 1: -1, 2: -1 });
    // The dead member leaves the group when its 10 s session expires, not after Kafka's default 30 s.
    expect(secondsToRead).toBeLessThan(25);
    expect(delivery.totals().recordsIn).toBe(records.length);
    const lines = (await readWarehouse(`raw/${killedName}/`)).flatMap((o) => o.lines);
    expect(lines.sort()).toEqual([...records].sort());
  });
});
