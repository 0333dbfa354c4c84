import { CfnOutput, Duration, Size, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { Aggregator } from '../constructs/aggregator.js';
import { KinesisTransport } from '../constructs/kinesis-transport.js';
import { type MonitoredPipeline, Monitoring } from '../constructs/monitoring.js';
import { MskTransport } from '../constructs/msk-transport.js';
import { PartitionedDelivery } from '../constructs/partitioned-delivery.js';
import { Producer } from '../constructs/producer.js';
import { Redrive } from '../constructs/redrive.js';
import { StateChecks } from '../constructs/state-checks.js';
import { Storage } from '../constructs/storage.js';
import type { StreamTransport } from '../constructs/stream-transport.js';
import { WarehouseCatalog } from '../constructs/warehouse-catalog.js';
import type { TributaryContext } from '../context.js';
import type { PipelineInfo } from '../pipeline-catalog.js';

/** Props of {@link TributaryStack}. */
export interface TributaryStackProps extends StackProps {
  /** Validated context (see `infra/context.ts`). */
  readonly settings: TributaryContext;
  /** The pipelines to deploy, resolved against the registry. */
  readonly pipelines: readonly PipelineInfo[];
}

/**
 * The whole pipeline in one stack, on Kinesis or MSK (`-c transport`). One stack rather than a storage stack plus a pipeline
 * stack: the Firehose streams, aggregators and Glue tables all reference the buckets, and across
 * stacks every such reference becomes a CloudFormation export that cannot change while imported.
 * The data survives a `cdk destroy` anyway: the buckets are retained.
 */
export class TributaryStack extends Stack {
  public readonly storage: Storage;
  /** The streams; everything below talks to them through the transport interface only. */
  public readonly transport: StreamTransport;
  public readonly producer: Producer;
  public readonly aggregators = new Map<string, Aggregator>();
  public readonly catalog: WarehouseCatalog;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: TributaryStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const names = props.pipelines.map((p) => p.name);
    const prefix = `tributary-${s.stage}`;
    const buffering = {
      bufferingInterval: Duration.seconds(s.bufferingIntervalSeconds),
      bufferingSize: Size.mebibytes(s.bufferingSizeMiB),
    };

    this.storage = new Storage(this, 'Storage');
    const bucket = this.storage.warehouseBucket;
    this.transport = createTransport(this, s, prefix);
    const streams = names.map((name) => this.transport.streamFor(name));

    // Results of all pipelines share one delivery stream each: files are split by the `pipeline`
    // partition key anyway, and one buffer fills faster than one per pipeline.
    const aggregates = new PartitionedDelivery(this, 'AggregatesDelivery', {
      bucket,
      prefix:
        'aggregates/pipeline=!{partitionKeyFromQuery:pipeline}/window_date=!{partitionKeyFromQuery:window_date}/' +
        'window_hour=!{partitionKeyFromQuery:window_hour}/',
      partitionKeys: {
        pipeline: '.pipeline',
        window_date: '.window_start/1000|strftime("%Y-%m-%d")',
        window_hour: '.window_start/1000|strftime("%H")',
      },
      errorOutputPrefix: 'errors/aggregates/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/',
      recordsEndInNewline: true,
      ...buffering,
    }).deliveryStream;
    const late = new PartitionedDelivery(this, 'LateDelivery', {
      bucket,
      prefix:
        'late/pipeline=!{partitionKeyFromQuery:pipeline}/event_date=!{partitionKeyFromQuery:event_date}/',
      partitionKeys: { pipeline: '.pipeline', event_date: '.ts/1000|strftime("%Y-%m-%d")' },
      errorOutputPrefix: 'errors/late/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/',
      recordsEndInNewline: true,
      ...buffering,
    }).deliveryStream;

    const streamClient = this.transport.clientConfig();
    this.producer = new Producer(this, 'Producer', { streams, client: streamClient });
    const monitored: MonitoredPipeline[] = [];
    const stateChecks = new StateChecks(this, 'StateChecks', { stateBucket: this.storage.stateBucket });
    for (const [i, stream] of streams.entries()) {
      const name = stream.pipeline;
      const raw = new PartitionedDelivery(this, `Raw-${name}`, {
        bucket,
        source: stream.firehoseSource(),
        prefix:
          `raw/pipeline=${name}/event_date=!{partitionKeyFromQuery:event_date}/` +
          'event_hour=!{partitionKeyFromQuery:event_hour}/',
        partitionKeys: {
          event_date: '.ts/1000|strftime("%Y-%m-%d")',
          event_hour: '.ts/1000|strftime("%H")',
        },
        errorOutputPrefix: `errors/raw-${name}/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/`,
        ...buffering,
      }).deliveryStream;
      const aggregator = new Aggregator(this, `Aggregator-${name}`, {
        pipeline: name,
        stream,
        streamClient,
        stateBucket: this.storage.stateBucket,
        aggregatesDelivery: aggregates,
        lateDelivery: late,
      });
      const writers = [aggregator.function, aggregator.idleFlushFunction];
      // On both transports: on MSK it reads the failed offsets with a consumer group of its own.
      const redrive = new Redrive(this, `Redrive-${name}`, {
        pipeline: name,
        stream,
        streamClient,
        aggregator,
        lateDelivery: late,
        stateBucket: this.storage.stateBucket,
      });
      writers.push(redrive.function);
      new CfnOutput(this, `RedriveFunctionName-${name}`, { value: redrive.function.functionName });
      // A deploy that changes what the checkpoints must fit checks them before these run it.
      // (streams are in the order of props.pipelines)
      const pipeline = props.pipelines[i] as PipelineInfo;
      stateChecks.guard(pipeline, writers);
      this.aggregators.set(name, aggregator);
      monitored.push({
        name,
        stream,
        aggregator: aggregator.function,
        idleFlush: aggregator.idleFlushFunction,
        deadLetterQueue: aggregator.deadLetterQueue,
        rawDelivery: raw,
        redrive: redrive.function,
      });
      new CfnOutput(this, `StreamName-${name}`, { value: stream.streamName });
      new CfnOutput(this, `DeadLetterQueueUrl-${name}`, { value: aggregator.deadLetterQueue.queueUrl });
    }

    const database = `tributary_${s.stage.replaceAll('-', '_')}`;
    this.catalog = new WarehouseCatalog(this, 'Catalog', {
      bucket,
      databaseName: database,
      workGroupName: prefix,
      pipelines: names,
      projectionStartDate: s.warehouseStartDate,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      dashboardName: prefix,
      pipelines: monitored,
      producer: this.producer.function,
      sharedDeliveries: { Aggregates: aggregates, Late: late },
      bufferingInterval: buffering.bufferingInterval,
      alarmTopic: this.alarmTopic(s),
    });

    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: 'The Firehose L2 adds a CIDR mapping that only Redshift/Splunk destinations reference.',
    });
    new CfnOutput(this, 'IngestUrl', { value: this.producer.url.url });
    new CfnOutput(this, 'ProduceRoleArn', { value: this.producer.clientRole.roleArn });
    new CfnOutput(this, 'WarehouseBucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'StateBucketName', { value: this.storage.stateBucket.bucketName });
    new CfnOutput(this, 'GlueDatabase', { value: database });
    new CfnOutput(this, 'AthenaWorkGroup', { value: prefix });
    if (this.transport instanceof MskTransport) {
      new CfnOutput(this, 'KafkaClusterArn', { value: this.transport.cluster.clusterArn });
      new CfnOutput(this, 'KafkaBootstrapServers', { value: this.transport.cluster.bootstrapServers });
    }
  }

  private alarmTopic(s: TributaryContext): ITopic | undefined {
    if (s.alarmTopicArn) return Topic.fromTopicArn(this, 'AlarmTopic', s.alarmTopicArn);
    if (!s.alarmEmail) return undefined;
    // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key: use our own.
    const key = new Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Tributary alarm topic',
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const topic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    topic.addSubscription(new EmailSubscription(s.alarmEmail));
    return topic;
  }
}

/** The transport chosen by `-c transport`. */
function createTransport(scope: Construct, s: TributaryContext, namePrefix: string): StreamTransport {
  switch (s.transport) {
    case 'kinesis':
      return new KinesisTransport(scope, 'Transport', {
        namePrefix,
        shardCount: s.shardCount,
        retention: Duration.hours(s.retentionHours),
      });
    case 'msk':
      return new MskTransport(scope, 'Transport', {
        namePrefix,
        partitions: s.partitions,
        retention: Duration.hours(s.retentionHours),
      });
  }
}
