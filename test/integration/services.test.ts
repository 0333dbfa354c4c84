import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { kafka, kinesisClient, readServices, s3Client, sqsClient } from '../../local/services/clients.js';
import { consumeAll, produceNumbered } from './helpers/kafka.js';
import { pollUntil } from './helpers/poll.js';
import { uniqueName } from './helpers/unique.js';

describe('the local services are real', () => {
  it('records both services with their versions in .local/services.json', () => {
    // Act
    const services = readServices();

    // Assess
    expect(services.localstack?.version).toBe('4.13.1');
    expect(services.localstack?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(services.kafka?.version).toMatch(/^3\.9\./);
    expect(services.kafka?.brokers[0]).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('Kinesis: PutRecords then GetRecords returns the same records in order', async () => {
    // Prepare
    const kinesis = kinesisClient();
    const StreamName = uniqueName('services-test');
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
    await waitUntilStreamExists(
      { client: kinesis, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
      { StreamName },
    );
    const sent = Array.from({ length: 200 }, (_, i) => `record-${i}`);
    try {
      // Act
      const put = await kinesis.send(
        new PutRecordsCommand({
          StreamName,
          Records: sent.map((data, i) => ({ Data: Buffer.from(data), PartitionKey: `key-${i % 7}` })),
        }),
      );
      const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName,
          ShardId: Shards?.[0]?.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      const received: string[] = [];
      let iterator = ShardIterator;
      await pollUntil(
        async () => {
          const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          iterator = page.NextShardIterator;
          for (const record of page.Records ?? []) received.push(Buffer.from(record.Data ?? []).toString());
          return received.length;
        },
        (count) => count >= sent.length,
        { timeoutMs: 30_000 },
      );

      // Assess
      expect(put.FailedRecordCount).toBe(0);
      expect(received).toEqual(sent);
    } finally {
      await kinesis.send(new DeleteStreamCommand({ StreamName, EnforceConsumerDeletion: true }));
      kinesis.destroy();
    }
  });

  it('S3: an object put is read back byte for byte (path-style)', async () => {
    // Prepare
    const s3 = s3Client();
    const Bucket = uniqueName('services-test');
    const Key = 'raw/dt=2026-11-23/part-0.json';
    const body = JSON.stringify({ hello: 'warehouse', n: 42 });
    await s3.send(new CreateBucketCommand({ Bucket }));
    try {
      // Act
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: 'application/json' }));
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));

      // Assess
      expect(await got.Body?.transformToString()).toBe(body);
      expect(got.ContentType).toBe('application/json');
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket, Key }));
      await s3.send(new DeleteBucketCommand({ Bucket }));
      s3.destroy();
    }
  });

  it('SQS: every message sent is received and can be deleted', async () => {
    // Prepare
    const sqs = sqsClient();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('services-test') }));
    const bodies = Array.from({ length: 10 }, (_, i) => `message-${i}`);
    try {
      // Act
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
        }),
      );
      const received = new Map<string, string>();
      await pollUntil(
        async () => {
          const page = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          const messages = page.Messages ?? [];
          for (const m of messages) if (m.Body && m.ReceiptHandle) received.set(m.Body, m.ReceiptHandle);
          if (messages.length > 0) {
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl,
                Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
              }),
            );
          }
          return received.size;
        },
        (count) => count >= bodies.length,
        { timeoutMs: 30_000 },
      );

      // Assess
      expect(sent.Failed ?? []).toEqual([]);
      expect([...received.keys()].sort()).toEqual([...bodies].sort());
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      sqs.destroy();
    }
  });

  it('Kafka: 1,000 messages consumed and committed by one group, then read again by a second', async () => {
    // Prepare
    const client = kafka({ clientId: uniqueName('services-test') });
    const admin = client.admin();
    await admin.connect();
    const topic = uniqueName('services-test');
    const first = uniqueName('group-a');
    const second = uniqueName('group-b');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    try {
      // Act
      await produceNumbered(client, topic, 1_000);
      const byFirst = await consumeAll(client, topic, first, 1_000, { timeoutMs: 60_000 });
      const committed = await admin.fetchOffsets({ groupId: first, topics: [topic] });
      const bySecond = await consumeAll(client, topic, second, 1_000, { timeoutMs: 60_000 });

      // Assess
      const all = Array.from({ length: 1_000 }, (_, i) => i);
      expect(byFirst.sort((a, b) => a - b)).toEqual(all);
      expect(bySecond.sort((a, b) => a - b)).toEqual(all);
      const offsets = committed[0]?.partitions ?? [];
      expect(offsets).toHaveLength(3);
      expect(offsets.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(1_000);
    } finally {
      await admin.deleteTopics({ topics: [topic] });
      await admin.deleteGroups([first, second]).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
