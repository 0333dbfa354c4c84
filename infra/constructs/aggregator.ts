import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PipelineStream, StreamClientConfig } from './stream-transport.js';
import { TributaryFunction } from './tributary-function.js';

/** Props of {@link Aggregator}. */
export interface AggregatorProps {
  /** The pipeline this aggregator computes windows for. */
  readonly pipeline: string;
  /** The pipeline's stream; every record in it belongs to the pipeline. */
  readonly stream: PipelineStream;
  /**
   * How a function reaches the streams (the transport's `clientConfig()`): the idle flush checks the
   * stream for a backlog before it closes a quiet shard's windows.
   */
  readonly streamClient: StreamClientConfig;
  /** Bucket of the per-shard checkpoints (`<statePrefix><pipeline>/<shardId>.json`). */
  readonly stateBucket: IBucket;
  /**
   * Key prefix of the checkpoints in `stateBucket`, ending in `/`.
   * @default 'state/'
   */
  readonly statePrefix?: string;
  /** Direct-put delivery stream of closed windows (`aggregates/`). */
  readonly aggregatesDelivery: IDeliveryStream;
  /** Direct-put delivery stream of records later than the grace period (`late/`). */
  readonly lateDelivery: IDeliveryStream;
  /**
   * Records per invocation, 1-10000. Larger batches mean fewer checkpoint writes per record.
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking, 0-300 s.
   * @default Duration.seconds(5)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch (after bisection) before it is described in the dead-letter queue.
   * Bounded so one poison batch cannot stall its shard for the whole retention period. 0-10000.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this skip processing and go to the dead-letter queue: 60 s to 7 days, and
   * no longer than the stream keeps records. The idle flush ignores such records in its backlog
   * check (`MAX_RECORD_AGE_MS`): the mapping will never deliver them.
   * @default Duration.days(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard. Must stay 1: the aggregator keeps ONE checkpoint (last applied
   * sequence number) and ONE stream time per shard. With a factor above 1 Lambda runs up to 10
   * batches of a shard at once, split by partition-key hash; per-key order would still hold, but
   * the shard's checkpoint and stream time would be written by concurrent invocations, the
   * conditional writes would reject all but one, and the windows would close on whichever key
   * group advanced last. Scale by adding shards (on-demand streams do that by themselves).
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * A shard that received nothing for this long has its stream time advanced by the idle-flush
   * function, so its windows still close (`IDLE_TIMEOUT_MS`). At least the aggregator timeout plus
   * 30 s: a batch claims its shard from the flush when the flush may take it before the batch's
   * deadline, and with a shorter idle timeout every batch would.
   * @default Duration.minutes(2)
   */
  readonly idleTimeout?: Duration;
  /**
   * Aggregator memory in MB.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Aggregator timeout; a batch of 10,000 records must fit in it with its Firehose calls (well
   * under a second of work and a few seconds of retries, measured by `npm run bench`).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
}

/** The environment variables naming a pipeline, its checkpoints, sinks and dead-letter queue. */
export interface PipelineStateEnvironment {
  readonly PIPELINE_NAME: string;
  readonly STATE_BUCKET: string;
  readonly STATE_PREFIX: string;
  readonly AGGREGATES_DELIVERY_STREAM: string;
  readonly LATE_DELIVERY_STREAM: string;
  readonly DEAD_LETTER_QUEUE_URL: string;
}

/**
 * A pipeline's aggregator: the Lambda behind the stream's event source mapping (safe consumer
 * defaults: TRIM_HORIZON, bounded retries, maximum record age, an SQS on-failure destination; on
 * Kinesis also partial batch responses and bisection), its encrypted dead-letter queue, and the
 * idle-flush Lambda that an EventBridge schedule runs every minute (a client of the stream: it checks
 * for a backlog before closing a quiet shard's windows).
 */
export class Aggregator extends Construct {
  public readonly function: IFunction;
  public readonly idleFlushFunction: IFunction;
  /** Poison records (sent by the aggregator) and failed batches (sent by the mapping). */
  public readonly deadLetterQueue: Queue;
  public readonly schedule: Rule;
  /** The names every function of the pipeline's state is given (pipeline, state, sinks, queue). */
  public readonly environment: PipelineStateEnvironment;
  /** Key pattern of the pipeline's checkpoints in the state bucket (`<prefix><pipeline>/*`). */
  public readonly stateKeys: string;

  constructor(scope: Construct, id: string, props: AggregatorProps) {
    super(scope, id);
    // Defaults, then the caller's values (an explicit undefined keeps the default).
    const o = {
      statePrefix: props.statePrefix ?? 'state/',
      batchSize: props.batchSize ?? 1000,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(5),
      retryAttempts: props.retryAttempts ?? 10,
      maxRecordAge: props.maxRecordAge ?? Duration.days(1),
      parallelizationFactor: props.parallelizationFactor ?? 1,
      idleTimeout: props.idleTimeout ?? Duration.minutes(2),
      memorySize: props.memorySize,
      timeout: props.timeout ?? Duration.minutes(1),
    };
    check(
      Number.isInteger(o.batchSize) && o.batchSize >= 1 && o.batchSize <= 10_000,
      'batchSize must be 1-10000',
      o.batchSize,
    );
    check(
      o.maxBatchingWindow.toSeconds() <= 300,
      'maxBatchingWindow must be at most 300 s',
      o.maxBatchingWindow.toSeconds(),
    );
    check(
      Number.isInteger(o.retryAttempts) && o.retryAttempts >= 0 && o.retryAttempts <= 10_000,
      'retryAttempts must be 0-10000',
      o.retryAttempts,
    );
    const age = o.maxRecordAge.toSeconds();
    check(age >= 60 && age <= 604_800, 'maxRecordAge must be 60 s to 7 days (in seconds)', age);
    check(
      o.parallelizationFactor === 1,
      'parallelizationFactor must be 1: state and stream time are kept per shard; add shards to scale',
      o.parallelizationFactor,
    );
    check(/^([\w-]+\/)*$/.test(o.statePrefix), 'statePrefix must be empty or end in "/"', o.statePrefix);
    check(
      o.idleTimeout.toSeconds() >= o.timeout.toSeconds() + 30,
      'idleTimeout must be at least the aggregator timeout + 30 s (in seconds: idle timeout, timeout)',
      [o.idleTimeout.toSeconds(), o.timeout.toSeconds()],
    );

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the aggregator and its event source mapping.',
    });

    const environment: PipelineStateEnvironment = {
      PIPELINE_NAME: props.pipeline,
      STATE_BUCKET: props.stateBucket.bucketName,
      STATE_PREFIX: o.statePrefix,
      AGGREGATES_DELIVERY_STREAM: props.aggregatesDelivery.deliveryStreamName,
      LATE_DELIVERY_STREAM: props.lateDelivery.deliveryStreamName,
      DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
    };
    const aggregator = new TributaryFunction(this, 'Handler', {
      entry: 'functions/handlers/aggregator.ts',
      description: `Tributary aggregator of ${props.pipeline}: event-time windows per shard`,
      memorySize: o.memorySize,
      timeout: o.timeout,
      environment: {
        ...environment,
        // The aggregator claims a quiet shard from the idle flush before sending (aggregate-batch.ts).
        IDLE_TIMEOUT_MS: String(o.idleTimeout.toMilliseconds()),
        POWERTOOLS_SERVICE_NAME: 'tributary-aggregator',
      },
    });
    const idleFlush = new TributaryFunction(this, 'IdleFlush', {
      entry: 'functions/handlers/idle-flush.ts',
      description: `Tributary idle flush of ${props.pipeline}: closes windows of quiet shards`,
      // Shorter than the schedule period, so two runs of one pipeline rarely overlap.
      timeout: Duration.seconds(50),
      // Window results, and for records a redrive queued in a quiet shard (redrive-inbox.ts) the
      // late ones and the dead letters.
      environment: {
        ...environment,
        IDLE_TIMEOUT_MS: String(o.idleTimeout.toMilliseconds()),
        POWERTOOLS_SERVICE_NAME: 'tributary-idle-flush',
        // The backlog check: before taking a quiet shard, look for records after its checkpoint
        // that the mapping may still deliver (a failed batch whose retry is pending).
        ...props.streamClient.environment,
        ...props.stream.backlogEnvironment(),
        STREAM_NAME: props.stream.streamName,
        MAX_RECORD_AGE_MS: String(o.maxRecordAge.toMilliseconds()),
      },
      // On MSK the brokers are reachable from the VPC only; its NAT gateway and S3 endpoint still
      // reach Firehose and the state bucket.
      network: props.streamClient.network,
    });
    this.function = aggregator.function;
    this.idleFlushFunction = idleFlush.function;
    this.environment = environment;

    const stateKeys = `${o.statePrefix}${props.pipeline}/*`;
    this.stateKeys = stateKeys;
    for (const fn of [aggregator.function, idleFlush.function]) {
      props.stateBucket.grantReadWrite(fn, stateKeys);
      props.aggregatesDelivery.grantPutRecords(fn);
    }
    props.stream.grantBacklogRead(idleFlush.function);
    for (const fn of [aggregator.function, idleFlush.function]) {
      props.lateDelivery.grantPutRecords(fn);
      this.deadLetterQueue.grantSendMessages(fn);
    }

    aggregator.function.addEventSource(
      props.stream.eventSource({
        batchSize: o.batchSize,
        maxBatchingWindow: o.maxBatchingWindow,
        retryAttempts: o.retryAttempts,
        maxRecordAge: o.maxRecordAge,
        parallelizationFactor: o.parallelizationFactor,
        onFailure: this.deadLetterQueue,
      }),
    );

    this.schedule = new Rule(this, 'IdleFlushSchedule', {
      description: `Every minute: close the windows of ${props.pipeline} shards idle for ${o.idleTimeout.toHumanString()}`,
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(idleFlush.function, { retryAttempts: 0 })],
    });
  }
}

function check(ok: boolean, expectation: string, given: unknown): void {
  if (!ok) throw new Error(`${expectation} (given ${JSON.stringify(given)})`);
}
