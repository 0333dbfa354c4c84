import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { type ISource, KinesisStreamSource } from 'aws-cdk-lib/aws-kinesisfirehose';
import { type IEventSource, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type {
  ConsumerOptions,
  PipelineStream,
  StreamClientConfig,
  StreamTransport,
} from './stream-transport.js';

/** Props of {@link KinesisTransport}. */
export interface KinesisTransportProps {
  /** Prefix of every stream name: streams are named `<namePrefix>-<pipeline>`. */
  readonly namePrefix: string;
  /**
   * Shards per stream. Undefined means on-demand capacity (pay per GB, scales by itself).
   * @default - on-demand
   */
  readonly shardCount?: number;
  /**
   * How long records stay readable (24 h to 365 days). Replays and a stuck aggregator can use
   * at most this window; `maxRecordAge` of the consumer must not exceed it.
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
  /**
   * What happens to the streams when the stack is deleted.
   * @default RemovalPolicy.DESTROY (the warehouse keeps the raw copy)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A Kinesis data stream per pipeline: encrypted with the AWS managed key, on-demand by default. */
export class KinesisTransport extends Construct implements StreamTransport {
  readonly kind = 'kinesis' as const;
  /** The streams, by pipeline name. */
  public readonly streams = new Map<string, KinesisPipelineStream>();
  private readonly props: KinesisTransportProps;

  constructor(scope: Construct, id: string, props: KinesisTransportProps) {
    super(scope, id);
    const hours = props.retention?.toHours() ?? 24;
    if (!Number.isInteger(hours) || hours < 24 || hours > 8_760) {
      throw new Error(`retention must be a whole number of hours from 24 to 8760 (given ${hours})`);
    }
    if (props.shardCount !== undefined && (!Number.isInteger(props.shardCount) || props.shardCount < 1)) {
      throw new Error(`shardCount must be a positive integer (given ${props.shardCount})`);
    }
    this.props = props;
  }

  /** The pipeline's stream, created on first use. */
  streamFor(pipeline: string): KinesisPipelineStream {
    let stream = this.streams.get(pipeline);
    if (!stream) {
      stream = new KinesisPipelineStream(this, pipeline, {
        pipeline,
        streamName: `${this.props.namePrefix}-${pipeline}`,
        shardCount: this.props.shardCount,
        retention: this.props.retention ?? Duration.hours(24),
        removalPolicy: this.props.removalPolicy ?? RemovalPolicy.DESTROY,
      });
      this.streams.set(pipeline, stream);
    }
    return stream;
  }

  /** Kinesis has public endpoints: only the transport's name, no VPC. */
  clientConfig(): StreamClientConfig {
    return { environment: { TRANSPORT: 'kinesis' } };
  }
}

interface KinesisPipelineStreamProps {
  readonly pipeline: string;
  readonly streamName: string;
  readonly shardCount: number | undefined;
  readonly retention: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/** One pipeline's Kinesis data stream and the ways to read and write it. */
export class KinesisPipelineStream extends Construct implements PipelineStream {
  public readonly pipeline: string;
  public readonly stream: Stream;
  public readonly streamName: string;

  constructor(scope: Construct, id: string, props: KinesisPipelineStreamProps) {
    super(scope, id);
    this.pipeline = props.pipeline;
    this.stream = new Stream(this, 'Stream', {
      streamName: props.streamName,
      streamMode: props.shardCount === undefined ? StreamMode.ON_DEMAND : StreamMode.PROVISIONED,
      shardCount: props.shardCount,
      retentionPeriod: props.retention,
      encryption: StreamEncryption.MANAGED,
      removalPolicy: props.removalPolicy,
    });
    // The literal name (not a Ref) keeps STREAM_NAMES plain JSON in the template.
    this.streamName = props.streamName;
  }

  grantWrite(grantee: IGrantable): Grant {
    return this.stream.grantWrite(grantee);
  }

  /**
   * GetShardIterator and GetRecords on this stream only: narrower than `stream.grantRead` (no
   * ListShards, DescribeStream*, SubscribeToShard), since the flush knows its shards from its
   * checkpoints. A customer key is granted decrypt as `grantRead` would; the AWS managed key of
   * these streams needs no grant.
   */
  grantBacklogRead(grantee: IGrantable): Grant {
    const grant = this.stream.grant(grantee, 'kinesis:GetShardIterator', 'kinesis:GetRecords');
    this.stream.encryptionKey?.grantDecrypt(grantee);
    return grant;
  }

  /** Lambda keeps a Kinesis mapping's position to itself: nothing more to read. */
  backlogEnvironment(): Readonly<Record<string, string>> {
    return {};
  }

  /**
   * The batches' records (GetShardIterator AT_SEQUENCE_NUMBER and GetRecords, with the key's
   * decrypt if a customer key is used: the backlog read), and the lineage (ListShards): a shard
   * split or merged since is left alone. On this stream only; no writes.
   */
  grantRedriveRead(grantee: IGrantable): Grant {
    return this.grantBacklogRead(grantee).combine(this.stream.grant(grantee, 'kinesis:ListShards'));
  }

  /** A Kinesis redrive reads by shard and sequence number: nothing more to know. */
  redriveEnvironment(): Readonly<Record<string, string>> {
    return {};
  }

  eventSource(options: ConsumerOptions): IEventSource {
    return new KinesisEventSource(this.stream, {
      // Every record of the stream matters to the windows: start from the oldest one kept.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: options.batchSize,
      maxBatchingWindow: options.maxBatchingWindow,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: options.retryAttempts,
      maxRecordAge: options.maxRecordAge,
      parallelizationFactor: options.parallelizationFactor,
      onFailure: new SqsDlq(options.onFailure),
    });
  }

  firehoseSource(): ISource {
    return new KinesisStreamSource(this.stream);
  }

  metricIteratorAge(): IMetric {
    return this.stream.metricGetRecordsIteratorAgeMilliseconds({
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
  }
}
