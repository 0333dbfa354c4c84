import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  KafkaPartitionRangeReader,
  type PartitionRange,
} from '../../functions/adapters/kafka/partition-range.js';
import { kafka } from '../../local/services/clients.js';
import { uniqueName } from './helpers/unique.js';

const CLUSTER_ARN =
  'arn:aws:kafka:us-east-1:000000000000:cluster/tributary/11111111-2222-3333-4444-555555555555-s1';
/** Records per partition; offsets in a fresh topic's partition are 0..PER_PARTITION-1. */
const PER_PARTITION = 25;
/**
 * The records' CreateTime: recent, since the broker's time-based retention (7 days by default)
 * deletes records stamped older, log start and all, while a test reads them.
 */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

describe('KafkaPartitionRangeReader against the local broker', () => {
  let client: Kafka;
  let admin: Admin;
  const topics: string[] = [];
  const readers: KafkaPartitionRangeReader[] = [];

  beforeAll(async () => {
    client = kafka();
    admin = client.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    await admin?.deleteTopics({ topics }).catch(() => {});
    await admin?.disconnect();
  });

  /** What partition `p`'s record at `offset` holds. */
  const key = (p: number, offset: number) => `key-${p}-${offset % 4}`;
  const value = (p: number, offset: number) => JSON.stringify({ p, offset });
  const timestamp = (offset: number) => T0 + offset * 1000;

  /** A fresh 2-partition topic with PER_PARTITION records in each, written interleaved. */
  async function topicWithRecords(): Promise<string> {
    const topic = uniqueName('partition-range');
    topics.push(topic);
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const messages = Array.from({ length: PER_PARTITION }, (_, offset) =>
        [0, 1].map((p) => ({
          partition: p,
          key: key(p, offset),
          value: value(p, offset),
          timestamp: String(timestamp(offset)),
        })),
      ).flat();
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
    return topic;
  }

  function newReader(kafkaClient: Kafka = client): KafkaPartitionRangeReader {
    const reader = new KafkaPartitionRangeReader({ kafka: kafkaClient, groupPrefix: uniqueName('range') });
    readers.push(reader);
    return reader;
  }

  const range = (topic: string, partition: number, from: number, to: number): PartitionRange => ({
    topic,
    partition,
    from: String(from),
    to: String(to),
    eventSourceArn: CLUSTER_ARN,
  });

  const offsetsOf = (records: { kinesis: { sequenceNumber: string } }[]) =>
    records.map((r) => Number(r.kinesis.sequenceNumber));
  const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('reads exactly the offsets of a range, in order, as the aggregator sees MSK records', async () => {
    // Prepare
    const topic = await topicWithRecords();
    const reader = newReader();

    // Act
    const read = await reader.read(range(topic, 1, 7, 16));

    // Assess
    expect({ complete: read.complete, expired: read.expired }).toEqual({ complete: true, expired: 0 });
    expect(offsetsOf(read.records)).toEqual(span(7, 16));
    expect(read.records[0]).toEqual({
      eventID: `${topic}-1:7`,
      eventName: 'aws:kafka:record',
      eventSource: 'aws:kafka',
      eventSourceARN: CLUSTER_ARN,
      eventVersion: '1.0',
      invokeIdentityArn: '',
      awsRegion: '',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: key(1, 7),
        sequenceNumber: '7',
        data: Buffer.from(value(1, 7)).toString('base64'),
        approximateArrivalTimestamp: timestamp(7) / 1000,
      },
    });
    expect(
      read.records.map((r) => [r.kinesis.partitionKey, Buffer.from(r.kinesis.data, 'base64').toString()]),
    ).toEqual(span(7, 16).map((o) => [key(1, o), value(1, o)]));
  });

  it('reads range after range with one consumer, seeking back and forth between partitions', async () => {
    // Prepare
    const topic = await topicWithRecords();
    const consumers = vi.spyOn(client, 'consumer');
    const reader = newReader();

    // Act: another partition, then the same partition further back, overlapping, and a single offset
    const first = await reader.read(range(topic, 0, 10, 19));
    const second = await reader.read(range(topic, 1, 15, 22));
    const third = await reader.read(range(topic, 1, 2, 17));
    const fourth = await reader.read(range(topic, 0, 0, 0));
    const consumersMade = consumers.mock.calls.length;
    consumers.mockRestore();

    // Assess
    expect(
      [first, second, third, fourth].map((r) => ({
        complete: r.complete,
        offsets: offsetsOf(r.records),
        values: r.records.map((x) => Buffer.from(x.kinesis.data, 'base64').toString()),
      })),
    ).toEqual(
      [
        { partition: 0, from: 10, to: 19 },
        { partition: 1, from: 15, to: 22 },
        { partition: 1, from: 2, to: 17 },
        { partition: 0, from: 0, to: 0 },
      ].map(({ partition, from, to }) => ({
        complete: true,
        offsets: span(from, to),
        values: span(from, to).map((o) => value(partition, o)),
      })),
    );
    expect(consumersMade).toBe(1);
  });

  it('returns what exists of a range that goes past the end of the partition, counting the offsets past it', async () => {
    // Prepare
    const topic = await topicWithRecords();
    const reader = newReader();

    // Act
    const pastTheEnd = await reader.read(range(topic, 0, 20, 100));
    const allAfterTheEnd = await reader.read(range(topic, 0, PER_PARTITION, 100));

    // Assess
    expect({ ...pastTheEnd, records: offsetsOf(pastTheEnd.records) }).toEqual({
      records: span(20, PER_PARTITION - 1),
      complete: true,
      expired: 0,
      pastEnd: 100 - PER_PARTITION + 1,
    });
    expect(allAfterTheEnd).toEqual({
      records: [],
      complete: true,
      expired: 0,
      pastEnd: 100 - PER_PARTITION + 1,
    });
  });

  it('rejects a partition the topic does not have, and a topic that does not exist, naming them', async () => {
    // Prepare
    const topic = await topicWithRecords();
    const reader = newReader();

    // Act
    const missing = await reader.read(range(topic, 5, 0, 3)).catch((e: unknown) => e);
    // (kafkajs retries a missing topic for about 10 s before it gives up)
    const noTopic = `${topic}-missing`;
    const missingTopic = await reader.read(range(noTopic, 0, 0, 3)).catch((e: unknown) => e);
    // The reader still works after it
    const after = await reader.read(range(topic, 0, 3, 4));

    // Assess
    expect(missing).toBeInstanceOf(Error);
    expect((missing as Error).message).toContain(`topic ${topic} has no partition 5`);
    expect(missingTopic).toBeInstanceOf(Error);
    expect((missingTopic as Error).message).toContain(
      `topic ${noTopic} does not exist (asked for partition 0)`,
    );
    // Whole, so that a failure says which way the read ended
    expect({ ...after, records: offsetsOf(after.records) }).toEqual({
      records: [3, 4],
      complete: true,
      expired: 0,
      pastEnd: 0,
    });
  });

  it('counts the offsets below the log start offset as expired and reads the rest', async () => {
    // Prepare: offsets 0-9 of partition 0 deleted (as retention would)
    const topic = await topicWithRecords();
    // kafkajs' admin finds the partition's leader in its metadata cache only
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] });
    const reader = newReader();

    // Act
    const straddling = await reader.read(range(topic, 0, 4, 13));
    const allGone = await reader.read(range(topic, 0, 2, 6));
    const otherPartition = await reader.read(range(topic, 1, 4, 5));

    // Assess
    expect({ ...straddling, records: offsetsOf(straddling.records) }).toEqual({
      records: span(10, 13),
      complete: true,
      expired: 6,
      pastEnd: 0,
    });
    expect(allGone).toEqual({ records: [], complete: true, expired: 5, pastEnd: 0 });
    expect({ ...otherPartition, records: offsetsOf(otherPartition.records) }).toEqual({
      records: [4, 5],
      complete: true,
      expired: 0,
      pastEnd: 0,
    });
  });
});
