import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Admin, type Kafka, type Message, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KafkaEventSourceMappingRunner,
  type KafkaEventSourceMappingRunnerOptions,
} from '../../local/runtime/event-source-mapping/index.js';
import { LocalLambdaRuntime, memoryLogSink } from '../../local/runtime/lambda/index.js';
import { provisionKafkaTopics } from '../../local/runtime/provision/kafka-topics.js';
import { ProvisionError } from '../../local/runtime/provision/provision.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import {
  kafka,
  kafkaBrokers,
  LOCAL_REGION,
  localAwsConfig,
  sqsClient,
} from '../../local/services/clients.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { readJsonLines } from './helpers/json-lines.js';
import { pollUntil } from './helpers/poll.js';
import { waitForMessages } from './helpers/sqs.js';
import { uniqueName } from './helpers/unique.js';

// The recorder handler appends every invocation (event, outcome, Kafka env) to $RECORD_FILE.
const handlerDir = join(projectRoot, 'test', 'integration', 'fixtures', 'msk-recorder');
const runDir = mkdtempSync(join(tmpdir(), 'tributary-kafka-esm-'));
const context = () => defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });

interface EventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: string;
  key?: string;
  value?: string;
  headers: Record<string, number[]>[];
}
interface Line {
  outcome: 'ok' | 'threw';
  env: { KAFKA_BOOTSTRAP_SERVERS?: string; KAFKA_AUTH?: string };
  event: {
    eventSource: string;
    eventSourceArn: string;
    bootstrapServers: string;
    records: Record<string, EventRecord[]>;
  };
}

let client: Kafka;
let admin: Admin;
let sqs: SQSClient;
let brokers: string[];
const topics = new Set<string>();
const queues: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  brokers = kafkaBrokers();
  client = kafka();
  admin = client.admin();
  await admin.connect();
  sqs = sqsClient();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (topics.size > 0) await admin?.deleteTopics({ topics: [...topics] }).catch(() => {});
  for (const url of queues) await sqs?.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {});
  await admin?.disconnect();
  rmSync(runDir, { recursive: true, force: true });
});

/** A CDK-shaped MSK app (contract shapes) around the recorder: unique stack, topic and group. */
function app(mapping: Record<string, unknown> = {}, numPartitions = 3, topic = uniqueName('it-kafka-esm')) {
  const stack = uniqueName('KafkaEsmIt');
  const template = {
    Resources: {
      Cluster: {
        Type: 'AWS::MSK::ServerlessCluster',
        Properties: {
          ClusterName: 'tributary-it',
          ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
        },
      },
      Brokers: { Type: 'Custom::AWS', Properties: {} },
      Topic: {
        Type: 'Custom::KafkaTopic',
        Properties: {
          ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
          ClusterArn: { Ref: 'Cluster' },
          BootstrapServers: { 'Fn::GetAtt': ['Brokers', 'BootstrapBrokerStringSaslIam'] },
          TopicName: topic,
          NumPartitions: numPartitions,
          ReplicationFactor: 3,
          Configs: { 'retention.ms': '86400000' },
        },
      },
      DeadLetters: { Type: 'AWS::SQS::Queue' },
      Recorder: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Code: { S3Bucket: 'assets', S3Key: 'recorder.zip' },
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Timeout: 10,
          Environment: {
            Variables: { KAFKA_BOOTSTRAP_SERVERS: 'b-1.msk.example:9098', KAFKA_AUTH: 'aws-iam' },
          },
        },
        Metadata: { 'aws:asset:path': handlerDir, 'aws:asset:property': 'Code' },
      },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: { Ref: 'Recorder' },
          EventSourceArn: { Ref: 'Cluster' },
          Topics: [topic],
          StartingPosition: 'TRIM_HORIZON',
          AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: uniqueName('it-kafka-esm-group') },
          ...mapping,
        },
      },
    },
  };
  const assembly = CloudAssembly.fromTemplates({ [stack]: template }, { dir: runDir, context: context() });
  topics.add(topic);
  const recordFile = join(runDir, `${topic}.jsonl`);
  return {
    assembly,
    topic,
    recordFile,
    lines: () => readJsonLines<Line>(recordFile),
    /** Starts a runner on a fresh local Lambda runtime (stopped after the file's tests). */
    start(env: Record<string, string> = {}, options: Partial<KafkaEventSourceMappingRunnerOptions> = {}) {
      const lambda = new LocalLambdaRuntime(assembly, {
        local: {
          endpoint: localAwsConfig().endpoint,
          region: LOCAL_REGION,
          kafkaBootstrapServers: brokers.join(','),
        },
        logs: memoryLogSink(),
        environmentOverrides: () => ({ RECORD_FILE: recordFile, ...env }),
      });
      const runner = KafkaEventSourceMappingRunner.start({
        assembly,
        lambda,
        context: context(),
        sqs,
        brokers,
        polling: { backoffBaseMs: 50, maxBackoffMs: 200 },
        log: () => {},
        ...options,
      });
      cleanups.push(
        () => lambda.close(),
        () => runner.stop(),
      );
      return runner;
    },
  };
}

async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = client.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/** Waits until the broker says the group has processed everything (offset lag 0). */
async function drained(runner: KafkaEventSourceMappingRunner, timeoutMs = 60_000) {
  const lag = await pollUntil(
    async () => [...(await runner.offsetLag()).values()][0],
    (l) => l === 0,
    { timeoutMs },
  );
  expect(lag).toBe(0);
}

const committed = async (topic: string, groupId: string) =>
  (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions
    .sort((a, b) => a.partition - b.partition)
    .map((p) => p.offset);

/** The records of successful invocations, per partition, in delivery order. */
function delivered(lines: Line[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const line of lines.filter((l) => l.outcome === 'ok'))
    for (const records of Object.values(line.event.records))
      for (const r of records) out.set(r.partition, [...(out.get(r.partition) ?? []), r.offset]);
  return out;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('provisionKafkaTopics against the local broker', () => {
  it("creates the template's topics with their partitions and configs, idempotently; refuses too few partitions", async () => {
    // Prepare
    const first = app();

    // Act
    const created = await provisionKafkaTopics(first.assembly, client);
    const again = await provisionKafkaTopics(first.assembly, client);
    const grown = await provisionKafkaTopics(app({}, 5, first.topic).assembly, client).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(created).toEqual({ created: [first.topic], existing: [] });
    expect(again).toEqual({ created: [], existing: [first.topic] });
    const metadata = await admin.fetchTopicMetadata({ topics: [first.topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: first.topic, configNames: ['retention.ms'] }],
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('86400000');
    expect(grown).toBeInstanceOf(ProvisionError);
    expect((grown as Error).message).toMatch(/exists with 3 partition\(s\), the template asks for 5/);
  });
});

describe('KafkaEventSourceMappingRunner against the local broker', () => {
  it('delivers every record once, per partition in offset order, in the MSK event shape, and commits', async () => {
    // Prepare: 90 keyed records with a header, 30 per partition; the default 500 ms batching window
    const fx = app({ BatchSize: 10 });
    await provisionKafkaTopics(fx.assembly, client);
    await produce(
      fx.topic,
      range(90).map((i) => ({
        partition: i % 3,
        key: `key-${i % 9}`,
        value: JSON.stringify({ id: i }),
        headers: { 'trace-id': `t-${i}` },
      })),
    );

    // Act
    const runner = fx.start();
    await drained(runner);
    const progress = runner.progress()[0];
    await runner.stop();

    // Assess: each partition's records exactly once, in offset order, in batches of at most 10
    const lines = fx.lines();
    expect(lines.every((l) => l.outcome === 'ok')).toBe(true);
    expect([...delivered(lines)].sort(([a], [b]) => a - b)).toEqual([
      [0, range(30)],
      [1, range(30)],
      [2, range(30)],
    ]);
    expect(Math.max(...lines.map((l) => Object.values(l.event.records).flat().length))).toBeLessThanOrEqual(
      10,
    );
    expect(progress?.totals).toMatchObject({
      partitions: 3,
      recordsRead: 90,
      recordsProcessed: 90,
      offsetLag: 0,
    });
    expect(await committed(fx.topic, runner.mappings[0]?.groupId ?? '')).toEqual(['30', '30', '30']);

    // the event, field for field: AWS's keys in AWS's order, base64 key and value, header bytes
    const event = lines[0]?.event;
    expect(Object.keys(event ?? {})).toEqual([
      'eventSource',
      'eventSourceArn',
      'bootstrapServers',
      'records',
    ]);
    expect(event?.eventSource).toBe('aws:kafka');
    expect(event?.eventSourceArn).toMatch(
      /^arn:aws:kafka:us-east-1:000000000000:cluster\/tributary-it\/[0-9a-f-]{36}-s1$/,
    );
    expect(event?.bootstrapServers).toBe(brokers.join(','));
    const [key, records] = Object.entries(event?.records ?? {})[0] ?? [];
    const first = records?.[0];
    const id = (first?.partition ?? 0) + 3 * (first?.offset ?? 0);
    expect(key).toBe(`${fx.topic}-${first?.partition}`);
    expect(first).toEqual({
      topic: fx.topic,
      partition: first?.partition,
      offset: first?.offset,
      timestamp: expect.any(Number),
      timestampType: 'CREATE_TIME',
      key: b64(`key-${id % 9}`),
      value: b64(JSON.stringify({ id })),
      headers: [{ 'trace-id': [...Buffer.from(`t-${id}`)] }],
    });
    expect(Object.keys(first ?? {})).toEqual([
      'topic',
      'partition',
      'offset',
      'timestamp',
      'timestampType',
      'key',
      'value',
      'headers',
    ]);
    expect(Math.abs((first?.timestamp ?? 0) - Date.now())).toBeLessThan(120_000);
    // the function talked to the local broker without auth, not to the template's MSK brokers
    expect(lines[0]?.env).toEqual({ KAFKA_BOOTSTRAP_SERVERS: brokers.join(','), KAFKA_AUTH: 'none' });
  });

  it('retries a failed batch as it was, committing nothing until it succeeds (one poller mixing partitions)', async () => {
    // Prepare: 12 records over 3 partitions, one batch; the function fails until the file goes
    const fx = app({ BatchSize: 100, MaximumBatchingWindowInSeconds: 1 });
    await provisionKafkaTopics(fx.assembly, client);
    await produce(
      fx.topic,
      range(12).map((i) => ({ partition: i % 3, key: `k${i}`, value: String(i) })),
    );
    writeFileSync(`${fx.recordFile}.fail`, '');

    // Act
    const runner = fx.start({}, { pollers: 1 });
    const groupId = runner.mappings[0]?.groupId ?? '';
    const failed = await pollUntil(
      async () => fx.lines().filter((l) => l.outcome === 'threw'),
      (l) => l.length >= 3,
      { timeoutMs: 60_000 },
    );
    const whileFailing = await committed(fx.topic, groupId);
    rmSync(`${fx.recordFile}.fail`);
    await drained(runner);
    const progress = runner.progress()[0];
    await runner.stop();

    // Assess: the same 12 records in every failed invocation and in the successful one
    const batches = fx.lines().map((l) => JSON.stringify(l.event.records));
    const ok = fx.lines().filter((l) => l.outcome === 'ok');
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(new Set(batches).size).toBe(1);
    expect(ok).toHaveLength(1);
    expect(Object.keys(ok[0]?.event.records ?? {}).sort()).toEqual([0, 1, 2].map((p) => `${fx.topic}-${p}`));
    expect(whileFailing).toEqual(['-1', '-1', '-1']);
    expect(await committed(fx.topic, groupId)).toEqual(['4', '4', '4']);
    expect(progress?.totals.failedInvocations).toBe(fx.lines().length - 1);
  });

  it('resumes from the committed offsets after a restart with the same group: no record twice, none lost', async () => {
    // Prepare: slow invocations, so the stop lands in the middle
    const fx = app({ BatchSize: 5, MaximumBatchingWindowInSeconds: 0 });
    await provisionKafkaTopics(fx.assembly, client);
    await produce(
      fx.topic,
      range(150).map((i) => ({ partition: i % 3, key: `k${i % 7}`, value: String(i) })),
    );

    // Act: stop after some batches, add records, run again
    const first = fx.start({ SLEEP_MS: '100' });
    await pollUntil(
      async () => first.progress()[0]?.totals.recordsProcessed ?? 0,
      (n) => n >= 30,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await first.stop();
    const afterFirst = delivered(fx.lines());
    await produce(
      fx.topic,
      range(30).map((i) => ({ partition: i % 3, key: `k${i % 7}`, value: String(150 + i) })),
    );
    const second = fx.start();
    await drained(second);
    await second.stop();

    // Assess: the first run stopped mid-way, and both runs together delivered each record once
    const firstCount = [...afterFirst.values()].flat().length;
    expect(firstCount).toBeGreaterThanOrEqual(30);
    expect(firstCount).toBeLessThan(150);
    expect([...delivered(fx.lines())].sort(([a], [b]) => a - b)).toEqual([
      [0, range(60)],
      [1, range(60)],
      [2, range(60)],
    ]);
  });

  it("sends a batch that exhausted its retries to the SQS destination in AWS's format, then moves on", async () => {
    // Prepare: partition 0 holds a, poison, b; batches of 1; 1 retry
    const fx = app({
      BatchSize: 1,
      MaximumBatchingWindowInSeconds: 0,
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] } } },
    });
    const queueName = fx.assembly.find('DeadLetters').physicalName;
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl ?? '';
    queues.push(queueUrl);
    await provisionKafkaTopics(fx.assembly, client);
    await produce(fx.topic, [
      { partition: 0, key: 'k', value: 'a' },
      { partition: 0, key: 'k', value: 'poison' },
      { partition: 0, key: 'k', value: 'b' },
    ]);

    // Act
    const runner = fx.start();
    await drained(runner);
    const progress = runner.progress()[0];
    await runner.stop();
    const messages = await waitForMessages(sqs, queueUrl, { timeoutMs: 20_000 });

    // Assess
    expect(delivered(fx.lines()).get(0)).toEqual([0, 2]);
    expect(progress?.totals).toMatchObject({ recordsProcessed: 2, recordsDiscarded: 1 });
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0]?.Body ?? '{}');
    expect(body).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: fx.assembly.find('Recorder').arn,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/Z$/),
      KafkaBatchInfo: {
        batchSize: 1,
        eventSourceArn: runner.mappings[0]?.clusterArn,
        bootstrapServers: brokers.join(','),
        payloadSize: expect.any(Number),
        recordsInfo: {
          [`${fx.topic}-0`]: {
            firstRecordOffset: '1',
            lastRecordOffset: '1',
            firstRecordTimestamp: expect.stringMatching(/Z$/),
            lastRecordTimestamp: expect.stringMatching(/Z$/),
          },
        },
      },
    });
  });
});
