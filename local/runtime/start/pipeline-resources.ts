import {
  isKafkaMapping,
  isKinesisMapping,
  type KafkaMappingConfig,
  type KinesisMappingConfig,
  readKafkaMapping,
  readKinesisMapping,
} from '../event-source-mapping/index.js';
import { type CloudAssembly, readLambdaFunction } from '../template/index.js';

/** The aggregator's event source mapping: a Kinesis stream's, or an MSK topic's. */
export type PipelineMapping =
  | { readonly transport: 'kinesis'; readonly config: KinesisMappingConfig }
  | { readonly transport: 'msk'; readonly config: KafkaMappingConfig };

/** One pipeline's resources in the synthesized app, with their local names. */
export interface PipelineResources {
  readonly pipeline: string;
  readonly mapping: PipelineMapping;
  /** The Kinesis stream, or the Kafka topic. */
  readonly streamName: string;
  readonly stateBucket: string;
  readonly statePrefix: string;
  readonly deadLetterQueueUrl: string;
  readonly warehouseBucket: string;
  /** The aggregator's environment as the template sets it (the final flush reuses it). */
  readonly aggregatorEnv: Readonly<Record<string, string>>;
}

/**
 * Whether a delivery stream's properties (resolved) make it one the pipeline's run needs: every
 * DirectPut stream, and the stream-sourced one that reads the pipeline's stream or topic.
 */
export function isPipelineDelivery(properties: unknown, resources: PipelineResources): boolean {
  const props = properties as {
    DeliveryStreamType?: unknown;
    KinesisStreamSourceConfiguration?: { KinesisStreamARN?: unknown };
    MSKSourceConfiguration?: { TopicName?: unknown };
  };
  const { transport } = resources.mapping;
  if (props.DeliveryStreamType === 'KinesisStreamAsSource') {
    const arn = props.KinesisStreamSourceConfiguration?.KinesisStreamARN;
    return (
      transport === 'kinesis' && typeof arn === 'string' && arn.endsWith(`:stream/${resources.streamName}`)
    );
  }
  if (props.DeliveryStreamType === 'MSKAsSource') {
    return transport === 'msk' && props.MSKSourceConfiguration?.TopicName === resources.streamName;
  }
  return true;
}

/** The template has no aggregator for the pipeline (not in cdk.json's `pipelines`). */
export class PipelineNotDeployedError extends Error {
  override readonly name = 'PipelineNotDeployedError';
}

function bucketOfDeliveryStream(assembly: CloudAssembly, name: string): string {
  const stream = assembly
    .resources('AWS::KinesisFirehose::DeliveryStream')
    .find((r) => r.physicalName === name);
  const destination = stream?.properties().ExtendedS3DestinationConfiguration as
    | { BucketARN?: unknown }
    | undefined;
  const arn = destination?.BucketARN;
  if (typeof arn !== 'string') {
    throw new PipelineNotDeployedError(
      `delivery stream ${name}: expected an S3 destination with a BucketARN`,
    );
  }
  return arn.replace(/^arn:[^:]+:s3:::/, '');
}

function mappingsOf(assembly: CloudAssembly): PipelineMapping[] {
  const mappings = assembly.resources('AWS::Lambda::EventSourceMapping');
  return [
    ...mappings
      .filter(isKinesisMapping)
      .map((r) => ({ transport: 'kinesis' as const, config: readKinesisMapping(assembly, r) })),
    ...mappings
      .filter(isKafkaMapping)
      .map((r) => ({ transport: 'msk' as const, config: readKafkaMapping(assembly, r) })),
  ];
}

/**
 * Finds the pipeline's aggregator (the function whose Kinesis or MSK mapping feeds it and whose
 * PIPELINE_NAME is the pipeline) and, from its environment, the state bucket, dead-letter queue
 * and warehouse bucket: the names come from the template, never configured twice.
 */
export function pipelineResources(assembly: CloudAssembly, pipeline: string): PipelineResources {
  const deployed: string[] = [];
  for (const mapping of mappingsOf(assembly)) {
    const env = readLambdaFunction(assembly, mapping.config.functionResource).environment;
    if (env.PIPELINE_NAME) deployed.push(env.PIPELINE_NAME);
    if (env.PIPELINE_NAME !== pipeline) continue;
    const need = (name: string): string => {
      const value = env[name];
      if (!value) throw new PipelineNotDeployedError(`aggregator of ${pipeline}: ${name} is not set`);
      return value;
    };
    return {
      pipeline,
      mapping,
      streamName: mapping.transport === 'kinesis' ? mapping.config.streamName : mapping.config.topic,
      stateBucket: need('STATE_BUCKET'),
      statePrefix: env.STATE_PREFIX ?? 'state/',
      deadLetterQueueUrl: need('DEAD_LETTER_QUEUE_URL'),
      warehouseBucket: bucketOfDeliveryStream(assembly, need('AGGREGATES_DELIVERY_STREAM')),
      aggregatorEnv: env,
    };
  }
  throw new PipelineNotDeployedError(
    `the synthesized app has no aggregator for pipeline ${JSON.stringify(pipeline)} (deployed: ${deployed.join(', ') || 'none'}); check cdk.json's "pipelines" and "transport"`,
  );
}
