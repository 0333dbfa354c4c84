import type { Duration } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISource } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IEventSource } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { FunctionNetwork } from './tributary-function.js';

/** How the aggregator's event source mapping consumes a pipeline's stream. */
export interface ConsumerOptions {
  /** Records per invocation (Kinesis: 1-10000). */
  readonly batchSize: number;
  /** How long Lambda gathers records before invoking (0-300 s). */
  readonly maxBatchingWindow: Duration;
  /** Retries of a failing batch before it goes to `onFailure` (bounded, never infinite). */
  readonly retryAttempts: number;
  /** Records older than this are sent to `onFailure` instead of being processed. */
  readonly maxRecordAge: Duration;
  /** Concurrent batches per shard (1: one checkpoint per shard, per-key order). Kinesis only. */
  readonly parallelizationFactor: number;
  /** Where batches that exhaust their retries are described (AWS's on-failure record). */
  readonly onFailure: IQueue;
}

/**
 * What a function talking to the streams needs besides its IAM grant ({@link PipelineStream.grantWrite},
 * {@link PipelineStream.grantBacklogRead}, {@link PipelineStream.grantRedriveRead}): the producer, the
 * idle flush's backlog check, and the redrive.
 */
export interface StreamClientConfig {
  /**
   * Environment variables besides the stream names: `TRANSPORT` (`kinesis` or `msk`), and on Kafka
   * the brokers and auth mode (`KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_AUTH`).
   */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Where the function must run to reach the streams.
   * @default - outside any VPC (the streams have public AWS endpoints)
   */
  readonly network?: FunctionNetwork;
}

/**
 * One pipeline's stream, whatever carries it (a Kinesis data stream or an MSK topic).
 * Everything else in the app talks to the transport through this interface only.
 */
export interface PipelineStream {
  readonly pipeline: string;
  /** The stream or topic name producers write to (`STREAM_NAMES` of the producer Lambda). */
  readonly streamName: string;
  /** Lets a principal write records (the producer Lambda, the `tributary produce` role). */
  grantWrite(grantee: IGrantable): Grant;
  /**
   * Lets the idle flush ask whether a shard or partition still holds records after the aggregator's
   * checkpoint that the event source mapping may yet deliver (a batch that failed after sending its
   * results and waits for its retry): it must not close that shard's windows first. Only positions
   * and at most one record are read, so nothing more than that (Kinesis GetShardIterator and
   * GetRecords; Kafka Metadata and ListOffsets), never writes.
   */
  grantBacklogRead(grantee: IGrantable): Grant;
  /**
   * What the idle flush's backlog check needs to know besides the stream's name (MSK: the
   * mapping's consumer group, whose commits show the records the mapping gave up on).
   */
  backlogEnvironment(): Readonly<Record<string, string>>;
  /**
   * Lets the redrive read back the records of the batches the aggregator's event source mapping gave
   * up on (named in its dead-letter queue), and nothing else of the stream: no writes. Kinesis: the
   * backlog read and ListShards (the lineage: a shard split or merged since is left alone). Kafka: a
   * consumer in a consumer group of its own per run (the mapping's group has moved past the records),
   * on this topic only, that never commits offsets.
   */
  grantRedriveRead(grantee: IGrantable): Grant;
  /**
   * What the redrive needs to know besides the stream's name and the transport's client variables
   * (MSK: `KAFKA_REDRIVE_GROUP`, the prefix of the consumer groups it reads with).
   */
  redriveEnvironment(): Readonly<Record<string, string>>;
  /** The aggregator's event source mapping. */
  eventSource(options: ConsumerOptions): IEventSource;
  /** The source of the Firehose delivery stream that copies raw records to the warehouse. */
  firehoseSource(): ISource;
  /** Age of the oldest unread record, for alarms (milliseconds). */
  metricIteratorAge(): IMetric;
}

/** Creates the streams of all pipelines. */
export interface StreamTransport {
  readonly kind: 'kinesis' | 'msk';
  streamFor(pipeline: string): PipelineStream;
  /**
   * Environment and network placement of every function that talks to the streams (producer, idle
   * flush, redrive).
   */
  clientConfig(): StreamClientConfig;
}
