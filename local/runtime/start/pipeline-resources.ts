import {
  isKinesisMapping,
  type KinesisMappingConfig,
  readKinesisMapping,
} from '../event-source-mapping/index.js';
import { type CloudAssembly, readLambdaFunction } from '../template/index.js';

/** One pipeline's resources in the synthesized app, with their local names. */
export interface PipelineResources {
  readonly pipeline: string;
  readonly mapping: KinesisMappingConfig;
  readonly streamName: string;
  readonly stateBucket: string;
  readonly statePrefix: string;
  readonly deadLetterQueueUrl: string;
  readonly warehouseBucket: string;
  /** The aggregator's environment as the template sets it (the final flush reuses it). */
  readonly aggregatorEnv: Readonly<Record<string, string>>;
}

/** The template has no aggregator for the pipeline (not in cdk.json's `pipelines`, or Kafka transport). */
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

/**
 * Finds the pipeline's aggregator (the function whose Kinesis mapping feeds it and whose
 * PIPELINE_NAME is the pipeline) and, from its environment, the state bucket, dead-letter queue
 * and warehouse bucket: the names come from the template, never configured twice.
 */
export function pipelineResources(assembly: CloudAssembly, pipeline: string): PipelineResources {
  const deployed: string[] = [];
  for (const resource of assembly.resources('AWS::Lambda::EventSourceMapping').filter(isKinesisMapping)) {
    const mapping = readKinesisMapping(assembly, resource);
    const env = readLambdaFunction(assembly, mapping.functionResource).environment;
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
      streamName: mapping.streamName,
      stateBucket: need('STATE_BUCKET'),
      statePrefix: env.STATE_PREFIX ?? 'state/',
      deadLetterQueueUrl: need('DEAD_LETTER_QUEUE_URL'),
      warehouseBucket: bucketOfDeliveryStream(assembly, need('AGGREGATES_DELIVERY_STREAM')),
      aggregatorEnv: env,
    };
  }
  throw new PipelineNotDeployedError(
    `the synthesized app has no Kinesis aggregator for pipeline ${JSON.stringify(pipeline)} (deployed: ${deployed.join(', ') || 'none'}); check cdk.json's "pipelines" and "transport"`,
  );
}
