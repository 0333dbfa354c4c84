import type { Duration } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISource } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IEventSource } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

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
  /** Concurrent batches per shard (1: one checkpoint per shard, per-key order). */
  readonly parallelizationFactor: number;
  /** Where batches that exhaust their retries are described (AWS's on-failure record). */
  readonly onFailure: IQueue;
}

/**
 * One pipeline's stream, whatever carries it (a Kinesis data stream now, an MSK topic later).
 * Everything else in the app talks to the transport through this interface only.
 */
export interface PipelineStream {
  readonly pipeline: string;
  /** The name producers write to (`STREAM_NAMES` of the producer Lambda). */
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
}
