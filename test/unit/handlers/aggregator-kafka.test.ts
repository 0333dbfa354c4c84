import { beforeAll, describe, expect, it } from 'vitest';
import type { AggregatorClients } from '../../../functions/adapters/aggregator/from-env.js';
import { aggregatorDependencies } from '../../../functions/adapters/aggregator/from-env.js';
import { readAggregatorEnv } from '../../../functions/adapters/config.js';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { decodeCheckpoint } from '../../../functions/adapters/state/checkpoint.js';
import type { createAggregatorHandler as CreateHandler } from '../../../functions/handlers/aggregator.js';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { awsSample } from '../../fixtures/kinesis-events.js';
import { taxiTrip } from '../../fixtures/taxi-trips.js';
import { aggregatorEnv, stubAwsClients } from './stub-aws.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const TOPIC = 'tributary-dev-taxi-rides';
const ARN =
  'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-dev/6a1c1f0e-0000-0000-0000-000000000000-s1';
let createAggregatorHandler: typeof CreateHandler;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ createAggregatorHandler } = await import('../../../functions/handlers/aggregator.js'));
});

/** The aggregator with stub AWS clients; `listShards` counts calls a Kinesis lineage would make. */
function setup(overrides: Partial<AggregatorClients> = {}) {
  const aws = stubAwsClients();
  const lineageCalls: unknown[] = [];
  const kinesis = {
    async send(command: unknown) {
      lineageCalls.push(command);
      throw new Error('the shard lineage must not be asked for a Kafka partition');
    },
  } as unknown as AggregatorClients['kinesis'];
  const handler = createAggregatorHandler(() =>
    aggregatorDependencies(readAggregatorEnv(aggregatorEnv), getPipeline('taxi-rides'), {
      ...aws.clients,
      kinesis,
      ...overrides,
    }),
  );
  return { aws, handler, lineageCalls };
}

/** A Kafka record as the MSK event carries it: a trip in its envelope, keyed by its zone. */
function tripRecord(partition: number, offset: number, zone: number, pickupMs: number) {
  const key = String(zone);
  const value = encodeEnvelope({
    pipeline: 'taxi-rides',
    key,
    ts: pickupMs,
    event: taxiTrip({ zone, pickupMs }),
  });
  return {
    topic: TOPIC,
    partition,
    offset,
    timestamp: pickupMs + 1000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(key).toString('base64'),
    value: value.toString('base64'),
    headers: [],
  };
}

function mskEvent(records: ReturnType<typeof tripRecord>[]) {
  const byPartition: Record<string, unknown[]> = {};
  for (const r of records) {
    const partition = `${r.topic}-${r.partition}`;
    byPartition[partition] = [...(byPartition[partition] ?? []), r];
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: ARN,
    bootstrapServers: 'b-1:9098',
    records: byPartition,
  };
}

const results = (aws: ReturnType<typeof stubAwsClients>) =>
  aws.firehose.filter((r) => r.stream === 'tributary-aggregates').map((r) => JSON.parse(r.line));

describe('aggregator handler, Amazon MSK events', () => {
  it('dead-letters the record of the AWS MSK sample event with a reason, keyed by its partition and offset', async () => {
    // Prepare
    const { aws, handler, lineageCalls } = setup();
    const event = awsSample<unknown>('aws-lambda-go-kafka-event.json');

    // Act
    const response = await handler(event);

    // Assess: the sample's value is not an envelope; the partition's checkpoint moves past it
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.sqs).toEqual([
      expect.objectContaining({
        pipeline: 'taxi-rides',
        shard: 'AWSKafkaTopic-0',
        sequence_number: '0',
        reason: expect.stringMatching(/^not-json: /),
      }),
    ]);
    expect([...aws.objects.keys()]).toEqual(['state/taxi-rides/AWSKafkaTopic-0.json']);
    expect(lineageCalls).toEqual([]);
  });

  it('aggregates each partition with its own checkpoint and closes windows by its own stream time', async () => {
    // Prepare: zone 132 on partition 0 (3 trips, then a late-enough trip closes the window),
    // zone 48 on partition 1 (2 trips, its window stays open: partition 1's stream time is behind).
    const { aws, handler, lineageCalls } = setup();
    const event = mskEvent([
      tripRecord(0, 10, 132, T0 + MIN),
      tripRecord(0, 11, 132, T0 + 2 * MIN),
      tripRecord(0, 12, 132, T0 + 3 * MIN),
      tripRecord(0, 13, 132, T0 + 66 * MIN),
      tripRecord(1, 7, 48, T0 + MIN),
      tripRecord(1, 8, 48, T0 + 2 * MIN),
    ]);

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(results(aws)).toEqual([
      expect.objectContaining({
        key: '132',
        window_start: T0,
        window_end: T0 + 5 * MIN,
        shard: `${TOPIC}-0`,
        values: expect.objectContaining({ trips: 3 }),
      }),
    ]);
    expect([...aws.objects.keys()].sort()).toEqual([
      `state/taxi-rides/${TOPIC}-0.json`,
      `state/taxi-rides/${TOPIC}-1.json`,
    ]);
    expect(aws.sqs).toEqual([]);
    expect(lineageCalls).toEqual([]);
  });

  it('applies a batch that Lambda delivers twice only once (offsets at or below the checkpoint are skipped)', async () => {
    // Prepare
    const { aws, handler } = setup();
    const event = mskEvent([
      tripRecord(0, 1, 48, T0),
      tripRecord(0, 2, 48, T0 + MIN),
      tripRecord(0, 3, 48, T0 + 70 * MIN),
    ]);

    // Act
    await handler(event);
    await handler(event);

    // Assess
    expect(results(aws)).toEqual([
      expect.objectContaining({ values: expect.objectContaining({ trips: 2 }) }),
    ]);
  });

  it('fails the invocation on a retriable failure, and the retried batch counts every record once', async () => {
    // Prepare: Firehose answers 503 to the first call, so partition 0's results cannot be sent
    const aws = stubAwsClients();
    let failures = 1;
    const firehose: AggregatorClients['firehose'] = {
      async send(command) {
        if (failures-- > 0)
          throw Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } });
        return aws.clients.firehose.send(command);
      },
    };
    const { handler } = setup({ ...aws.clients, firehose });
    const event = mskEvent([
      tripRecord(0, 1, 48, T0),
      tripRecord(0, 2, 48, T0 + MIN),
      tripRecord(0, 3, 48, T0 + 70 * MIN),
    ]);

    // Act
    const first = handler(event);
    await expect(first).rejects.toThrow(/not applied: 1; Lambda retries the batch/);
    const retried = await handler(event);

    // Assess
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(results(aws)).toEqual([
      expect.objectContaining({ values: expect.objectContaining({ trips: 2 }) }),
    ]);
  });

  it('applies the healthy partitions of a batch when one partition fails for good, then fails the invocation', async () => {
    // Prepare: partition 0's checkpoint is corrupt (an operator must look at it); partition 1 is fine
    const { aws, handler } = setup();
    aws.objects.set(`state/taxi-rides/${TOPIC}-0.json`, {
      body: Buffer.from('{"not": "a checkpoint"'),
      etag: '"etag-0"',
    });
    const event = mskEvent([
      tripRecord(0, 1, 132, T0),
      tripRecord(1, 1, 48, T0),
      tripRecord(1, 2, 48, T0 + MIN),
      tripRecord(1, 3, 48, T0 + 70 * MIN),
    ]);

    // Act
    const outcome = handler(event);

    // Assess: the invocation fails (Lambda retries it, then the on-failure queue has it), but
    // partition 1's records are applied and its window sent, whichever order the partitions come in
    await expect(outcome).rejects.toThrow(`not applied: ${TOPIC}-0; Lambda retries the batch`);
    expect(aws.objects.has(`state/taxi-rides/${TOPIC}-1.json`)).toBe(true);
    expect(results(aws)).toEqual([
      expect.objectContaining({
        key: '48',
        shard: `${TOPIC}-1`,
        values: expect.objectContaining({ trips: 2 }),
      }),
    ]);
    // partition 1's offsets are marked for a redrive of the batch to skip; partition 0 has none
    const stored = aws.objects.get(`state/taxi-rides/${TOPIC}-1.json`);
    expect(decodeCheckpoint(stored?.body ?? new Uint8Array()).redriven).toEqual([
      { from: '1', to: '3', at: expect.any(Number) },
    ]);
  });

  it('dead-letters entries that are not Kafka records and tombstones (the latter once, at their offset), and applies the others', async () => {
    // Prepare
    const { aws, handler } = setup();
    const good = tripRecord(0, 5, 161, T0);
    const event = mskEvent([good]);
    (event.records[`${TOPIC}-0`] as unknown[]).unshift(
      { topic: TOPIC, partition: 0, offset: 'three' },
      { ...good, offset: 4, value: null },
    );

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.sqs).toEqual([
      expect.objectContaining({
        shard: `${TOPIC}-0`,
        reason: expect.stringMatching(
          /^not-a-kafka-record: records\["tributary-dev-taxi-rides-0"\]\[0\] offset: /,
        ),
      }),
      expect.objectContaining({
        shard: `${TOPIC}-0`,
        sequence_number: '4',
        reason: expect.stringMatching(/^not-json: /),
      }),
    ]);
    expect([...aws.objects.keys()]).toEqual([`state/taxi-rides/${TOPIC}-0.json`]);

    // A redelivery: the tombstone is behind the checkpoint now; the entry without an offset is not
    await handler(event);
    expect(aws.sqs).toHaveLength(3);
    expect(aws.sqs[2]).toMatchObject({ reason: expect.stringMatching(/^not-a-kafka-record: /) });
  });

  it('dead-letters an aws:kafka event without records instead of throwing', async () => {
    // Prepare
    const { aws, handler } = setup();

    // Act
    const response = await handler({ eventSource: 'aws:kafka', eventSourceArn: ARN });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.sqs).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^not-a-kafka-event: expected .* \(records: /),
      }),
    ]);
  });
});
