import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AggregatorEnv, IdleFlushEnv } from '../config.js';
import { createKafkaClient, readKafkaEnv } from '../kafka/kafka-client.js';
import { KafkaPartitionBacklog } from '../kafka/partition-backlog.js';
import { KinesisShardBacklog } from '../kinesis/shard-backlog.js';
import { KinesisShardLineage, type ListShardsClient } from '../kinesis/shard-lineage.js';
import type { AnyPipeline } from '../pipeline-event.js';
import type { FirehoseSinkClient } from '../sinks/firehose-sink.js';
import { FirehoseSink } from '../sinks/firehose-sink.js';
import type { SqsDeadLetterClient } from '../sinks/sqs-dead-letter-sink.js';
import { SqsDeadLetterSink } from '../sinks/sqs-dead-letter-sink.js';
import type { S3StateClient } from '../state/s3-state-store.js';
import { S3StateStore } from '../state/s3-state-store.js';
import type { AggregatorDependencies, LoggerLike } from './dependencies.js';
import type { IdleFlushDependencies } from './idle-flush.js';
import type { StreamBacklog } from './stream-backlog.js';

/** The SDK clients the aggregator uses (real ones in Lambda and locally, stubs in unit tests). */
export interface AggregatorClients {
  readonly s3: S3StateClient;
  readonly firehose: FirehoseSinkClient;
  readonly sqs: SqsDeadLetterClient;
  /** For the shard lineage (ListShards): without it a new shard starts empty after a reshard. */
  readonly kinesis?: ListShardsClient;
}

/**
 * Wires the S3 state store, the two Firehose sinks and the SQS dead-letter sink from the
 * environment, and the shard lineage when a Kinesis client is given.
 */
export function aggregatorDependencies(
  env: AggregatorEnv,
  pipeline: AnyPipeline,
  clients: AggregatorClients,
  logger?: LoggerLike,
): AggregatorDependencies {
  return {
    ...idleFlushDependencies(env, pipeline, clients, logger),
    checkpointCache: new Map(),
    idleTimeoutMs: env.IDLE_TIMEOUT_MS,
    lineage: clients.kinesis && new KinesisShardLineage(clients.kinesis),
  };
}

/**
 * Wires the idle flush: the state store and the three sinks (the late and dead-letter ones for
 * records a redrive queued in a quiet shard). The aggregator's wiring adds its cache and lineage to
 * these; the flush's own adds its stream's backlog.
 */
export function idleFlushDependencies(
  env: Pick<
    IdleFlushEnv,
    | 'PIPELINE_NAME'
    | 'STATE_BUCKET'
    | 'STATE_PREFIX'
    | 'AGGREGATES_DELIVERY_STREAM'
    | 'LATE_DELIVERY_STREAM'
    | 'DEAD_LETTER_QUEUE_URL'
  >,
  pipeline: AnyPipeline,
  clients: Pick<AggregatorClients, 's3' | 'firehose' | 'sqs'>,
  logger?: LoggerLike,
): Omit<IdleFlushDependencies, 'idleTimeoutMs' | 'backlog'> {
  return {
    pipeline,
    engine: pipeline.createEngine(),
    stateStore: new S3StateStore({ client: clients.s3, bucket: env.STATE_BUCKET, prefix: env.STATE_PREFIX }),
    aggregates: new FirehoseSink({
      client: clients.firehose,
      deliveryStreamName: env.AGGREGATES_DELIVERY_STREAM,
    }),
    late: new FirehoseSink({ client: clients.firehose, deliveryStreamName: env.LATE_DELIVERY_STREAM }),
    deadLetters: new SqsDeadLetterSink({ client: clients.sqs, queueUrl: env.DEAD_LETTER_QUEUE_URL }),
    logger,
  };
}

/**
 * The idle flush's view of the pipeline's stream (stream-backlog.ts): the Kinesis stream, or the
 * Kafka topic on the brokers of `KAFKA_BOOTSTRAP_SERVERS` (read from `rawEnv`). Clients come from
 * the environment, as the SDK's do (AWS_ENDPOINT_URL points them at LocalStack locally).
 */
export function streamBacklog(
  env: Pick<IdleFlushEnv, 'TRANSPORT' | 'STREAM_NAME' | 'MAX_RECORD_AGE_MS' | 'KAFKA_CONSUMER_GROUP'>,
  rawEnv: Record<string, string | undefined> = process.env,
): StreamBacklog {
  const maxRecordAgeMs = env.MAX_RECORD_AGE_MS;
  if (env.TRANSPORT === 'msk') {
    const admin = createKafkaClient(readKafkaEnv(rawEnv), 'tributary-idle-flush').admin();
    return new KafkaPartitionBacklog({
      admin,
      topic: env.STREAM_NAME,
      maxRecordAgeMs,
      groupId: env.KAFKA_CONSUMER_GROUP,
    });
  }
  return new KinesisShardBacklog({
    client: new KinesisClient({}),
    streamName: env.STREAM_NAME,
    maxRecordAgeMs,
  });
}
