import { DeleteStreamCommand, type KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { Admin, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/adapters/errors.js';
import { KafkaPartitionBacklog } from '../../functions/adapters/kafka/partition-backlog.js';
import { KinesisShardBacklog } from '../../functions/adapters/kinesis/shard-backlog.js';
import { kafka, kinesisClient } from '../../local/services/clients.js';
import { createActiveStream, readSingleShard } from './helpers/kinesis.js';
import { uniqueName } from './helpers/unique.js';

const DAY = 24 * 3600_000;
const at = (sequenceNumber: string) => ({ sequenceNumber, subSequenceNumber: undefined });

describe('KinesisShardBacklog against LocalStack', () => {
  const streamName = uniqueName('backlog');
  let kinesis: KinesisClient;

  beforeAll(async () => {
    kinesis = kinesisClient();
    await createActiveStream(kinesis, streamName, 1);
  });

  afterAll(async () => {
    await kinesis?.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => {});
  });

  const put = (n: number) =>
    kinesis.send(
      new PutRecordCommand({ StreamName: streamName, PartitionKey: 'k', Data: Buffer.from(String(n)) }),
    );

  it('sees the records after a position, none after the last one, and only those the mapping may still deliver', async () => {
    // Prepare: an empty shard; then two records, and a third one 1.5 s later
    const backlog = (maxRecordAgeMs: number) =>
      new KinesisShardBacklog({ client: kinesis, streamName, maxRecordAgeMs });
    const { shardId } = await readSingleShard(kinesis, streamName);
    const emptyShard = await backlog(DAY).hasUndelivered(shardId, null, Date.now());
    await put(1);
    await put(2);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await put(3);
    const { records } = await readSingleShard(kinesis, streamName);
    const [first, second, third] = records.map((r) => ({
      position: at(r.SequenceNumber ?? ''),
      arrival: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
    }));
    if (!first || !second || !third) throw new Error(`expected 3 records, read ${records.length}`);

    // Act
    const now = Date.now();
    const fromStart = await backlog(DAY).hasUndelivered(shardId, null, now);
    const afterFirst = await backlog(DAY).hasUndelivered(shardId, first.position, now);
    const afterLast = await backlog(DAY).hasUndelivered(shardId, third.position, now);
    // With a 1 s maximum age, judged 0.5 s after the third record arrived: the second is too old to
    // be delivered, the third is not. With 0.5 s, judged 2.5 s after the third: none is. (The margin:
    // judged 1 s after, kinesis-mock once returned the third record from AT_TIMESTAMP 0.5 s after its
    // arrival; its timestamps are not exact to the millisecond.)
    const secondTooOldThirdNot = await backlog(1000).hasUndelivered(
      shardId,
      first.position,
      third.arrival + 500,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, third.arrival + 2500 - Date.now())));
    const allTooOld = await backlog(500).hasUndelivered(shardId, first.position, Date.now());

    const goneShard = await backlog(DAY).hasUndelivered('shardId-000000000099', null, Date.now());
    const missingStream = new KinesisShardBacklog({
      client: kinesis,
      streamName: `${streamName}-nope`,
      maxRecordAgeMs: DAY,
    })
      .hasUndelivered(shardId, null, Date.now())
      .catch((e: unknown) => e);

    // Assess
    expect(emptyShard).toBe(false);
    expect(goneShard).toBe(false);
    expect(await missingStream).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(third.arrival - second.arrival).toBeGreaterThanOrEqual(1000);
    expect({ fromStart, afterFirst, afterLast, secondTooOldThirdNot, allTooOld }).toEqual({
      fromStart: true,
      afterFirst: true,
      afterLast: false,
      secondTooOldThirdNot: true,
      allTooOld: false,
    });
  });
});

describe('KafkaPartitionBacklog against the local broker', () => {
  const topic = uniqueName('backlog');
  let client: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    client = kafka();
    admin = client.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect();
  });

  async function produce(partition: number, messages: { value: string; timestamp: number }[]): Promise<void> {
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ ...m, partition, timestamp: String(m.timestamp) })),
      });
    } finally {
      await producer.disconnect();
    }
  }

  it('compares the end offset with the checkpoint, ignoring records older than the maximum age', async () => {
    // Prepare: offsets 0-2 on partition 0, written now; partition 1 empty
    const backlogAdmin = client.admin();
    const backlog = new KafkaPartitionBacklog({ admin: backlogAdmin, topic, maxRecordAgeMs: DAY });
    const now = Date.now();
    const emptyTopic = await backlog.hasUndelivered(`${topic}-0`, null, now);
    await produce(
      0,
      [0, 1, 2].map((n) => ({ value: String(n), timestamp: now })),
    );

    // Act
    const fromStart = await backlog.hasUndelivered(`${topic}-0`, null, now);
    const afterFirst = await backlog.hasUndelivered(`${topic}-0`, at('0'), now);
    const afterLast = await backlog.hasUndelivered(`${topic}-0`, at('2'), now);
    const otherPartition = await backlog.hasUndelivered(`${topic}-1`, null, now);
    // On partition 1, a record two days old: the mapping discards it, so it is no backlog; one
    // written now after it is.
    await produce(1, [{ value: 'old', timestamp: now - 2 * DAY }]);
    const onlyTooOld = await backlog.hasUndelivered(`${topic}-1`, null, now);
    await produce(1, [{ value: 'new', timestamp: now }]);
    const thenARecentOne = await backlog.hasUndelivered(`${topic}-1`, null, now);
    const notOfTheTopic = await backlog.hasUndelivered('other-topic-0', null, now).catch((e: unknown) => e);
    await backlogAdmin.disconnect();
    // A mapping group that committed past the checkpoint (it gave up on offsets 1-2)
    const groupId = uniqueName('backlog-group');
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
    const withGroupAdmin = client.admin();
    const withGroup = new KafkaPartitionBacklog({
      admin: withGroupAdmin,
      topic,
      maxRecordAgeMs: DAY,
      groupId,
    });
    const givenUp = await withGroup.hasUndelivered(`${topic}-0`, at('0'), now);
    await withGroupAdmin.disconnect();
    await admin.deleteGroups([groupId]);

    // Assess
    expect({
      emptyTopic,
      fromStart,
      afterFirst,
      afterLast,
      otherPartition,
      onlyTooOld,
      thenARecentOne,
    }).toEqual({
      emptyTopic: false,
      fromStart: true,
      afterFirst: true,
      afterLast: false,
      otherPartition: false,
      onlyTooOld: false,
      thenARecentOne: true,
    });
    expect(notOfTheTopic).toBeInstanceOf(ConfigurationError);
    expect(givenUp).toBe(false);
  });
});
