import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import type { PipelineInfo } from '../pipeline-catalog.js';
import { handlerProvider } from './handler-provider.js';
import { TributaryFunction } from './tributary-function.js';

/** Props of {@link StateChecks}. */
export interface StateChecksProps {
  /** Bucket of the aggregators' checkpoints. */
  readonly stateBucket: IBucket;
  /**
   * Key prefix of the checkpoints, as the aggregators have it.
   * @default 'state/'
   */
  readonly statePrefix?: string;
}

/**
 * A deploy guard for the aggregators' checkpoints. An aggregator refuses a checkpoint that still
 * holds windows of another window or other aggregations, or of a state layout no migration
 * reaches, and every batch of its shard would then fail into the dead-letter queue. So each
 * pipeline gets a `Custom::PipelineStateCheck` whose properties are its window, aggregations and
 * the engine's state version: a deploy that changes one of them updates it, before the pipeline's
 * functions (they depend on it), and its handler (functions/handlers/state-check.ts) fails the
 * deploy when the new code would refuse a checkpoint. The stack rolls back; the old code keeps
 * running on its checkpoints.
 */
export class StateChecks extends Construct {
  private readonly handler: TributaryFunction;
  private readonly provider: Provider;
  private readonly stateBucket: IBucket;
  private readonly statePrefix: string;

  constructor(scope: Construct, id: string, props: StateChecksProps) {
    super(scope, id);
    this.stateBucket = props.stateBucket;
    this.statePrefix = props.statePrefix ?? 'state/';
    this.handler = new TributaryFunction(this, 'Handler', {
      entry: 'functions/handlers/state-check.ts',
      description:
        "Tributary Custom::PipelineStateCheck: fails a deploy whose aggregator would refuse a pipeline's checkpoints",
      memorySize: 512,
      timeout: Duration.minutes(5),
      environment: { STATE_BUCKET: props.stateBucket.bucketName, STATE_PREFIX: this.statePrefix },
    });
    this.provider = handlerProvider(this, this.handler.function);
  }

  /**
   * Checks the pipeline's checkpoints on every deploy that changes what they must fit; `functions`
   * are updated only after the check passed.
   */
  guard(pipeline: PipelineInfo, functions: readonly IConstruct[]): CustomResource {
    this.stateBucket.grantRead(this.handler.function, `${this.statePrefix}${pipeline.name}/*`);
    const { window, aggregations, stateVersion } = pipeline.checkpoint;
    const check = new CustomResource(this, pipeline.name, {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::PipelineStateCheck',
      properties: {
        Pipeline: pipeline.name,
        Window: JSON.stringify(window),
        Aggregations: JSON.stringify(aggregations),
        StateVersion: String(stateVersion),
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const fn of functions) fn.node.addDependency(check);
    return check;
  }
}
