import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaClient } from '../../functions/adapters/kafka/kafka-client.js';
import { envelopeSchema } from '../../functions/adapters/kinesis/envelope.js';
import { kafkaWriter } from '../../functions/adapters/producer/kafka-writer.js';
import { produceEvents } from '../../functions/adapters/producer/produce-events.js';
import { handler as topicHandler } from '../../functions/handlers/kafka-topic.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { kafka, kafkaBrokers } from '../../local/services/clients.js';
import { taxiTrip } from '../fixtures/taxi-trips.js';
import { uniqueName } from './helpers/unique.js';

const T0 = Date.UTC(2026, 0, 1);

/** A CloudFormation request for a `Custom::KafkaTopic` on the local broker. */
function topicRequest(
  type: 'Create' | 'Update' | 'Delete',
  topic: string,
  partitions: number,
  retentionMs = '86400000',
): CloudFormationCustomResourceEvent {
  const props = {
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
    TopicName: topic,
    // As CloudFormation passes them: numbers arrive as strings.
    NumPartitions: String(partitions),
    ReplicationFactor: '1',
    Configs: { 'retention.ms': retentionMs },
    BootstrapServers: kafkaBrokers().join(','),
  };
  const common = {
    ServiceToken: props.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/tributary-dev/1',
    RequestId: 'r-1',
    LogicalResourceId: 'Topic',
    ResourceType: 'Custom::KafkaTopic',
    ResourceProperties: props,
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: topic,
      OldResourceProperties: props,
    };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: topic };
}

/** Every message of the topic, with its partition, read back through a fresh consumer group. */
async function readTopic(topic: string, expected: number) {
  const consumer = kafka().consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 250 });
  const read: { partition: number; key: string; value: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${read.length} of ${expected}`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            read.push({ partition, key: String(message.key), value: String(message.value) });
            if (read.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}

describe('Kafka producer and topic resource against the local broker', () => {
  let admin: Admin;
  beforeAll(async () => {
    // The topic handler's Lambda has KAFKA_AUTH=aws-iam; the local broker has no auth.
    process.env.KAFKA_AUTH = 'none';
    admin = kafka().admin();
    await admin.connect();
  });
  afterAll(async () => {
    delete process.env.KAFKA_AUTH;
    await admin.disconnect();
  });

  const partitionsOf = async (topic: string) =>
    (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length;

  it("creates the topic, applies config changes on update but keeps its partitions (a rollback's too), and deletes it", async () => {
    // Prepare
    const topic = uniqueName('topic-resource');
    const retention = async () =>
      (
        await admin.describeConfigs({
          resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }],
          includeSynonyms: false,
        })
      ).resources[0]?.configEntries[0]?.configValue;

    // Act + Assess, step by step as CloudFormation would drive it
    expect(await topicHandler(topicRequest('Create', topic, 2))).toEqual({ PhysicalResourceId: topic });
    expect(await partitionsOf(topic)).toBe(2);
    // A retried Create (the provider framework retries) finds the topic and changes nothing.
    await topicHandler(topicRequest('Create', topic, 2));
    expect(await partitionsOf(topic)).toBe(2);

    expect(await retention()).toBe('86400000');

    // More partitions would split the windows of the keys that move: the topic keeps its 2.
    await topicHandler(topicRequest('Update', topic, 3, '172800000'));
    expect(await partitionsOf(topic)).toBe(2);
    expect(await retention()).toBe('172800000');
    // Fewer cannot be: succeeding keeps a rollback from getting stuck.
    await topicHandler(topicRequest('Update', topic, 1));
    expect(await partitionsOf(topic)).toBe(2);

    await topicHandler(topicRequest('Delete', topic, 3));
    expect(await admin.listTopics()).not.toContain(topic);
    // A retried Delete of a topic already gone succeeds.
    await topicHandler(topicRequest('Delete', topic, 3));
  });

  it('refuses properties CloudFormation should never have passed, naming the field', async () => {
    // Act + Assess
    await expect(topicHandler(topicRequest('Create', 'bad topic name', 2))).rejects.toThrow(
      /Custom::KafkaTopic properties: .*TopicName/s,
    );
  });

  it('writes validated events keyed by the pipeline key: one key stays in one partition, in order', async () => {
    // Prepare: 3 partitions; 60 trips over 4 zones, 15 each in pickup order; one invalid event
    const topic = uniqueName('producer');
    await topicHandler(topicRequest('Create', topic, 3));
    const client = createKafkaClient(
      { KAFKA_BOOTSTRAP_SERVERS: kafkaBrokers(), KAFKA_AUTH: 'none' },
      'test-producer',
    );
    const producer = client.producer({ idempotent: true, allowAutoTopicCreation: false });
    const pipeline = getPipeline('taxi-rides');
    const zones = [4, 13, 132, 161];
    const trips = Array.from({ length: 60 }, (_, i) =>
      taxiTrip({ zone: zones[i % 4] as number, pickupMs: T0 + i * 1000 }),
    );
    try {
      // Act
      const report = await produceEvents(pipeline, [...trips, { not: 'a trip' }], {
        writer: kafkaWriter(producer),
        stream: topic,
      });
      const read = await readTopic(topic, 60);

      // Assess
      expect(report).toMatchObject({ accepted: 60, calls: 1 });
      expect(report.rejected).toEqual([{ index: 60, reason: expect.stringMatching(/^invalid-event: /) }]);
      expect(read).toHaveLength(60);
      for (const zone of zones) {
        const ofZone = read.filter((m) => m.key === String(zone));
        expect(new Set(ofZone.map((m) => m.partition)).size).toBe(1);
        const times = ofZone.map((m) => envelopeSchema.parse(JSON.parse(m.value)).ts);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(times).toHaveLength(15);
      }
    } finally {
      await producer.disconnect();
      await topicHandler(topicRequest('Delete', topic, 3));
    }
  });

  it('reports every event rejected, with the broker error, when the topic does not exist', async () => {
    // Prepare
    const client = createKafkaClient(
      { KAFKA_BOOTSTRAP_SERVERS: kafkaBrokers(), KAFKA_AUTH: 'none' },
      'test-producer',
    );
    const producer = client.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
    const pipeline = getPipeline('taxi-rides');
    try {
      // Act
      const report = await produceEvents(pipeline, [taxiTrip({ zone: 7, pickupMs: T0 })], {
        writer: kafkaWriter(producer),
        stream: uniqueName('missing'),
      });

      // Assess
      expect(report.accepted).toBe(0);
      expect(report.rejected).toEqual([
        { index: 0, reason: expect.stringMatching(/\S+: .*(topic|partition)/i) },
      ]);
    } finally {
      await producer.disconnect();
    }
  });
});
