import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { projectRoot } from '../../local/tools/state-dir.js';

/** A VPC placement: the subnets a function's network interfaces go to, with their security groups. */
export interface FunctionNetwork {
  readonly vpc: IVpc;
  readonly vpcSubnets: SubnetSelection;
  readonly securityGroups: readonly ISecurityGroup[];
}

/** Props of {@link TributaryFunction}. */
export interface TributaryFunctionProps {
  /** Handler entry file, relative to the repository root (e.g. `functions/handlers/producer.ts`). */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Environment variables besides the ones every function gets.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU grows with it).
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Runs the function in a VPC (to reach a private MSK cluster).
   * @default - outside any VPC
   */
  readonly network?: FunctionNetwork;
}

/**
 * A Node.js Lambda the way every Tributary function is built: nodejs22.x on arm64, bundled by the
 * local esbuild (no Docker) as ESM with the pinned AWS SDK inside, JSON logs into its own log
 * group with a retention.
 */
export class TributaryFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TributaryFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 1024;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new Error(`memorySize must be an integer from 128 to 10240 MB (given ${memorySize})`);
    }
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(projectRoot, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(60),
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network ? [...props.network.securityGroups] : undefined,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        logLevel: LogLevel.WARNING,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The SDK is bundled (not taken from the runtime) so Lambda runs the version the tests ran.
        externalModules: [],
        // Some CommonJS dependencies call require(): give the ESM bundle one.
        banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
      },
    });
    Validations.of(this.function).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is the runtime the project pins and tests (ARCHITECTURE.md); moving to a newer one is a deliberate upgrade.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "AWS's basic execution policy only lets the function write its own logs; a hand-written copy would add nothing.",
      },
    );
    if (props.network) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          "AWS's VPC access policy only lets Lambda manage the function's network interfaces (EC2 APIs without resource-level permissions).",
      });
    }
  }
}
