import type { ScheduledEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import {
  aggregatorDependencies,
  idleFlushDependencies,
  streamBacklog,
} from '../../../functions/adapters/aggregator/from-env.js';
import { readAggregatorEnv, readIdleFlushEnv } from '../../../functions/adapters/config.js';
import { BacklogCheckError, ConfigurationError } from '../../../functions/adapters/errors.js';
import { KafkaPartitionBacklog } from '../../../functions/adapters/kafka/partition-backlog.js';
import { KinesisShardBacklog } from '../../../functions/adapters/kinesis/shard-backlog.js';
import type { createIdleFlushHandler as CreateHandler } from '../../../functions/handlers/idle-flush.js';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { awsSample, envelopeRecord } from '../../fixtures/kinesis-events.js';
import { taxiTrip } from '../../fixtures/taxi-trips.js';
import { MemoryStreamBacklog } from '../adapters/aggregator-harness.js';
import { aggregatorEnv, stubAwsClients } from './stub-aws.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
let createIdleFlushHandler: typeof CreateHandler;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ createIdleFlushHandler } = await import('../../../functions/handlers/idle-flush.js'));
});

describe('idle-flush handler', () => {
  it('on the AWS scheduled event closes the windows of a shard that went quiet', async () => {
    // Prepare: one trip at T0 on a shard, then the shard is idle for 70 minutes of wall-clock time.
    const aws = stubAwsClients();
    const env = readAggregatorEnv(aggregatorEnv);
    const pipeline = getPipeline('taxi-rides');
    let wall = 1_800_000_000_000;
    const deps = { ...aggregatorDependencies(env, pipeline, aws.clients), now: () => wall };
    const record = envelopeRecord({
      pipeline: 'taxi-rides',
      key: '132',
      ts: T0,
      event: taxiTrip({ zone: 132, pickupMs: T0 }),
      n: 1,
    });
    await aggregateBatch([record], deps);
    // The handler gets what its own environment wires.
    const flushEnv = readIdleFlushEnv({
      ...aggregatorEnv,
      STREAM_NAME: 'tributary-taxi-rides',
      MAX_RECORD_AGE_MS: String(24 * 60 * MIN),
    });
    const backlog = new MemoryStreamBacklog();
    const handler = createIdleFlushHandler(() => ({
      ...idleFlushDependencies(flushEnv, pipeline, aws.clients),
      now: () => wall,
      idleTimeoutMs: flushEnv.IDLE_TIMEOUT_MS,
      backlog,
    }));
    wall += 70 * MIN;

    // Act
    const outcome = await handler(awsSample<ScheduledEvent>('powertools-ts-cloudwatch-scheduled-event.json'));

    // Assess
    expect(outcome).toEqual({
      shardsChecked: 1,
      shardsFlushed: 1,
      windowsClosed: 1,
      conflicts: 0,
      behind: 0,
    });
    expect(backlog.checks).toEqual([record.eventID.split(':')[0]]);
    const [line] = aws.firehose.map((r) => JSON.parse(r.line));
    expect(line).toMatchObject({
      key: '132',
      window_start: T0,
      values: expect.objectContaining({ trips: 1 }),
    });
  });

  it('fails the scheduled run when a shard cannot be checked (the error alarm), after flushing the others', async () => {
    // Prepare: a quiet shard with an open window; its stream cannot be read
    const aws = stubAwsClients();
    const pipeline = getPipeline('taxi-rides');
    let wall = 1_800_000_000_000;
    const env = readAggregatorEnv(aggregatorEnv);
    const deps = { ...aggregatorDependencies(env, pipeline, aws.clients), now: () => wall };
    await aggregateBatch(
      [
        envelopeRecord({
          pipeline: 'taxi-rides',
          key: '132',
          ts: T0,
          event: taxiTrip({ zone: 132, pickupMs: T0 }),
          n: 1,
        }),
      ],
      deps,
    );
    const handler = createIdleFlushHandler(() => ({
      ...deps,
      idleTimeoutMs: MIN,
      backlog: { hasUndelivered: async () => Promise.reject(new Error('Rate exceeded for shard')) },
    }));
    wall += 70 * MIN;

    // Act
    const run = handler(awsSample<ScheduledEvent>('powertools-ts-cloudwatch-scheduled-event.json'));

    // Assess
    await expect(run).rejects.toThrow(BacklogCheckError);
    expect(aws.firehose).toEqual([]);
  });

  it('reads the backlog from the stream its environment names: Kinesis, or the MSK topic on its brokers', () => {
    // Prepare
    const env = { STREAM_NAME: 'tributary-taxi-rides', MAX_RECORD_AGE_MS: 86_400_000 };

    // Act
    const kinesis = streamBacklog({ ...env, TRANSPORT: 'kinesis' }, {});
    const msk = streamBacklog(
      { ...env, TRANSPORT: 'msk' },
      { KAFKA_BOOTSTRAP_SERVERS: 'b-1:9098', AWS_REGION: 'eu-west-1' },
    );
    const noBrokers = () => streamBacklog({ ...env, TRANSPORT: 'msk' }, {});

    // Assess
    expect(kinesis).toBeInstanceOf(KinesisShardBacklog);
    expect(msk).toBeInstanceOf(KafkaPartitionBacklog);
    expect(noBrokers).toThrow(ConfigurationError);
  });
});
