import { Duration } from 'aws-cdk-lib';
import { type IMetric, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ISource } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IEventSource } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { KafkaTopics } from './kafka-topics.js';
import { MskCluster } from './msk-cluster.js';
import { MskNetwork } from './msk-network.js';
import { MskEventSource, MskFirehoseSource, type TopicRef } from './msk-sources.js';
import type {
  ConsumerOptions,
  PipelineStream,
  StreamClientConfig,
  StreamTransport,
} from './stream-transport.js';

/** Props of {@link MskTransport}. */
export interface MskTransportProps {
  /** Cluster name, and prefix of every topic name: topics are named `<namePrefix>-<pipeline>`. */
  readonly namePrefix: string;
  /**
   * Partitions per topic (1-1000). Records of one key stay in one partition, in order; the
   * aggregator keeps one checkpoint per partition.
   * @default 4
   */
  readonly partitions?: number;
  /**
   * How long topics keep records (`retention.ms`). `maxRecordAge` of the consumer must not exceed it.
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
}

/**
 * A topic per pipeline on an MSK Serverless cluster with IAM access control, in a VPC of its own.
 * Its clients (producer, idle flushes, redrives) run in the VPC; the aggregators do not: their event
 * source mappings reach the cluster.
 */
export class MskTransport extends Construct implements StreamTransport {
  readonly kind = 'msk' as const;
  public readonly network: MskNetwork;
  public readonly cluster: MskCluster;
  public readonly topics: KafkaTopics;
  /** The topics, by pipeline name. */
  public readonly streams = new Map<string, MskPipelineStream>();
  private readonly namePrefix: string;
  private readonly partitions: number;
  private readonly retention: Duration;

  constructor(scope: Construct, id: string, props: MskTransportProps) {
    super(scope, id);
    this.partitions = props.partitions ?? 4;
    if (!Number.isInteger(this.partitions) || this.partitions < 1 || this.partitions > 1_000) {
      throw new Error(`partitions must be an integer from 1 to 1000 (given ${this.partitions})`);
    }
    this.retention = props.retention ?? Duration.hours(24);
    this.namePrefix = props.namePrefix;
    this.network = new MskNetwork(this, 'Network');
    this.cluster = new MskCluster(this, 'Cluster', { clusterName: props.namePrefix, network: this.network });
    this.topics = new KafkaTopics(this, 'Topics', { cluster: this.cluster, network: this.network });
  }

  /** The pipeline's topic, created on first use. */
  streamFor(pipeline: string): MskPipelineStream {
    let stream = this.streams.get(pipeline);
    if (!stream) {
      const topicName = `${this.namePrefix}-${pipeline}`;
      const topic = this.topics.addTopic(`Topic-${pipeline}`, {
        topicName,
        partitions: this.partitions,
        configs: { 'retention.ms': String(this.retention.toMilliseconds()) },
      });
      stream = new MskPipelineStream(
        pipeline,
        { cluster: this.cluster, topicName, topic },
        `${this.namePrefix}-${pipeline}-aggregator`,
        this.partitions,
      );
      this.streams.set(pipeline, stream);
    }
    return stream;
  }

  /** Clients talk to the brokers from the VPC (no public endpoint), authenticated with their role. */
  clientConfig(): StreamClientConfig {
    return {
      environment: {
        TRANSPORT: 'msk',
        KAFKA_BOOTSTRAP_SERVERS: this.cluster.bootstrapServers,
        KAFKA_AUTH: 'aws-iam',
      },
      network: this.network.clientNetwork(),
    };
  }
}

/** One pipeline's topic and the ways to read and write it. */
export class MskPipelineStream implements PipelineStream {
  /** The literal topic name (not a token), so STREAM_NAMES stays plain JSON in the template. */
  public readonly streamName: string;

  constructor(
    public readonly pipeline: string,
    private readonly ref: TopicRef,
    /** The aggregator's consumer group. */
    public readonly consumerGroupId: string,
    private readonly partitions: number,
  ) {
    this.streamName = ref.topicName;
  }

  grantWrite(grantee: IGrantable): Grant {
    // The producer is idempotent (kafkajs `idempotent: true`): a retried request is not written
    // twice. MSK's IAM access control grants that on the cluster.
    return this.grantOnClusterAndTopic(
      grantee,
      ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
      ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
    );
  }

  /**
   * kafkajs `admin.fetchTopicOffsets` and `fetchTopicOffsetsByTimestamp` send Metadata and
   * ListOffsets, which Kafka authorizes with DESCRIBE on the topic (Apache Kafka docs, "Operations
   * and Resources on Protocols"): `kafka-cluster:DescribeTopic` in MSK's IAM access control, which
   * needs `kafka-cluster:Connect` on the cluster (MSK docs, "Semantics of IAM authorization policy
   * actions and resources"). No ReadData: offsets are read, records are not. The mapping group's
   * committed offsets (OffsetFetch) need DESCRIBE on the group: `kafka-cluster:DescribeGroup`.
   */
  grantBacklogRead(grantee: IGrantable): Grant {
    return this.grantOnClusterAndTopic(
      grantee,
      ['kafka-cluster:Connect'],
      ['kafka-cluster:DescribeTopic'],
    ).combine(
      Grant.addToPrincipal({
        grantee,
        actions: ['kafka-cluster:DescribeGroup'],
        resourceArns: [this.ref.cluster.groupArn(this.consumerGroupId)],
      }),
    );
  }

  backlogEnvironment(): Readonly<Record<string, string>> {
    return { KAFKA_CONSUMER_GROUP: this.consumerGroupId };
  }

  /**
   * Prefix of the redrive's consumer groups: each run reads in a fresh group
   * `<redriveGroupPrefix>-<random>` and never commits, so it neither disturbs the mapping's group
   * (`consumerGroupId`, which has moved past the failed offsets) nor leaves a position behind.
   */
  get redriveGroupPrefix(): string {
    return `${this.consumerGroupId}-redrive`;
  }

  /**
   * A kafkajs consumer of this topic in a group of its own. MSK's IAM access control ("Semantics of
   * IAM authorization policy actions and resources"): `kafka-cluster:Connect` on the cluster;
   * `ReadData` (Kafka READ TOPIC; it requires Connect, `DescribeTopic` and `AlterGroup`) and
   * `DescribeTopic` (Metadata, and ListOffsets of `admin.fetchTopicOffsets`) on this topic;
   * `AlterGroup` (READ GROUP: join the group, fetch and commit its offsets; it requires
   * `DescribeGroup`) and `DescribeGroup` (FindCoordinator) on the redrive's groups only,
   * `<redriveGroupPrefix>-*`: a run names its group itself. No WriteData, no DeleteGroup, nothing on
   * the aggregator's group or other topics.
   */
  grantRedriveRead(grantee: IGrantable): Grant {
    return this.grantOnClusterAndTopic(
      grantee,
      ['kafka-cluster:Connect'],
      ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
    ).combine(
      Grant.addToPrincipal({
        grantee,
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resourceArns: [this.ref.cluster.groupArn(`${this.redriveGroupPrefix}-*`)],
      }),
    );
  }

  redriveEnvironment(): Readonly<Record<string, string>> {
    return { KAFKA_REDRIVE_GROUP: this.redriveGroupPrefix };
  }

  /** Some actions on the cluster, others on this topic only. */
  private grantOnClusterAndTopic(
    grantee: IGrantable,
    clusterActions: readonly string[],
    topicActions: readonly string[],
  ): Grant {
    const { cluster, topicName } = this.ref;
    return Grant.addToPrincipal({
      grantee,
      actions: [...clusterActions],
      resourceArns: [cluster.clusterArn],
    }).combine(
      Grant.addToPrincipal({
        grantee,
        actions: [...topicActions],
        resourceArns: [cluster.topicArn(topicName)],
      }),
    );
  }

  eventSource(options: ConsumerOptions): IEventSource {
    return new MskEventSource(this.ref, this.consumerGroupId, options, this.partitions);
  }

  firehoseSource(): ISource {
    return new MskFirehoseSource(this.ref);
  }

  /**
   * The aggregator group's EstimatedMaxTimeLag (AWS/Kafka, seconds), in milliseconds. A time, unlike
   * MaxOffsetLag or the mapping's OffsetLag (record counts), so the iterator-age threshold keeps
   * its meaning. MSK emits it only while the group is STABLE or EMPTY.
   */
  metricIteratorAge(): IMetric {
    return new MathExpression({
      expression: 'lagSeconds * 1000',
      usingMetrics: {
        lagSeconds: new Metric({
          namespace: 'AWS/Kafka',
          metricName: 'EstimatedMaxTimeLag',
          dimensionsMap: {
            'Cluster Name': this.ref.cluster.clusterName,
            'Consumer Group': this.consumerGroupId,
            Topic: this.ref.topicName,
          },
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
      },
      label: `${this.pipeline}: aggregator lag (ms)`,
      period: Duration.minutes(1),
    });
  }
}
