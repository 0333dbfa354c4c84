import { Duration } from 'aws-cdk-lib';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PipelineStream, StreamClientConfig } from './stream-transport.js';
import { TributaryFunction } from './tributary-function.js';

/** Props of {@link Producer}. */
export interface ProducerProps {
  /** The streams the producer may write to, one per pipeline. */
  readonly streams: readonly PipelineStream[];
  /**
   * What the transport needs of a writer besides the grants: environment and VPC placement.
   * @default - no further environment, outside any VPC
   */
  readonly client?: StreamClientConfig;
  /**
   * Lambda memory (MB): validation and JSON encoding are CPU-bound.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Maximum session of the `tributary produce` role.
   * @default Duration.hours(1)
   */
  readonly clientSessionDuration?: Duration;
}

/**
 * The ingest side: a Lambda behind a function URL with AWS_IAM auth (SigV4-signed POSTs only), and a
 * role for the `tributary produce` command, which writes to the streams directly or calls the URL.
 */
export class Producer extends Construct {
  public readonly function: IFunction;
  public readonly url: FunctionUrl;
  /** Assumable by IAM principals of this account that are allowed `sts:AssumeRole` on it. */
  public readonly clientRole: Role;

  constructor(scope: Construct, id: string, props: ProducerProps) {
    super(scope, id);
    if (props.streams.length === 0) {
      throw new Error('streams must name at least one pipeline stream (given none)');
    }
    const streamNames = Object.fromEntries(props.streams.map((s) => [s.pipeline, s.streamName]));
    const fn = new TributaryFunction(this, 'Handler', {
      entry: 'functions/handlers/producer.ts',
      description: 'Tributary producer: validates events and writes them to the pipeline streams',
      memorySize: props.memorySize,
      timeout: Duration.seconds(30),
      environment: {
        STREAM_NAMES: JSON.stringify(streamNames),
        POWERTOOLS_SERVICE_NAME: 'tributary-producer',
        ...props.client?.environment,
      },
      network: props.client?.network,
    });
    this.function = fn.function;
    this.url = fn.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    this.clientRole = new Role(this, 'ClientRole', {
      assumedBy: new AccountRootPrincipal(),
      description: 'Assumed by `tributary produce`: write to the pipeline streams or call the ingest URL',
      maxSessionDuration: props.clientSessionDuration ?? Duration.hours(1),
    });
    for (const stream of props.streams) {
      stream.grantWrite(fn.function);
      stream.grantWrite(this.clientRole);
    }
    fn.function.grantInvokeUrl(this.clientRole);
  }
}
