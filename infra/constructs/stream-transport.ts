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

/** What a function writing to the streams needs besides its IAM grant ({@link PipelineStream.grantWrite}). */
export interface StreamClientConfig {
  /** Environment variables besides `STREAM_NAMES` (e.g. the brokers and auth mode of Kafka). */
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
  /** Environment and network placement of the producer Lambda. */
  producerConfig(): StreamClientConfig;
}
