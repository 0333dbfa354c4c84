import { HOST, ports } from '../../services/config.js';
import type { LambdaFunctionSpec } from '../template/index.js';

/** Where the function's AWS SDK calls go and who they claim to be. */
export interface LocalEndpoint {
  /** `AWS_ENDPOINT_URL`: every SDK v3 client of the function talks to it (LocalStack). */
  readonly endpoint: string;
  readonly region: string;
  /** Dummy credentials; LocalStack accepts any. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /**
   * The local Kafka broker(s), comma-separated, for functions whose template sets
   * KAFKA_BOOTSTRAP_SERVERS. @default `127.0.0.1:<TRIBUTARY_KAFKA_PORT or 9092>`
   */
  readonly kafkaBootstrapServers?: string;
}

/**
 * A function the template gives KAFKA_BOOTSTRAP_SERVERS (MSK's SASL/IAM bootstrap string) talks
 * to the local broker instead, without authentication: the counterpart of AWS_ENDPOINT_URL.
 */
function kafkaOverride(spec: LambdaFunctionSpec, local: LocalEndpoint): Record<string, string> {
  if (spec.environment.KAFKA_BOOTSTRAP_SERVERS === undefined) return {};
  return {
    KAFKA_BOOTSTRAP_SERVERS: local.kafkaBootstrapServers ?? `${HOST}:${ports().kafka}`,
    KAFKA_AUTH: 'none',
  };
}

/**
 * The environment of one execution environment: the template's variables, then what Lambda sets
 * itself (function name, memory, log group, region, credentials, task root), then the local
 * endpoint (and the local Kafka broker, see kafkaOverride), then `overrides` (tests and fault
 * injection). Nothing of the parent's environment leaks in but PATH, so a developer's AWS_PROFILE
 * cannot send a local run to a real account.
 */
export function lambdaEnvironment(
  spec: LambdaFunctionSpec,
  local: LocalEndpoint,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    // Not reserved in Lambda: the function's configuration may set it.
    LANG: 'en_US.UTF-8',
    ...spec.environment,
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    TZ: 'UTC',
    LAMBDA_TASK_ROOT: spec.codeDir,
    _HANDLER: spec.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${spec.name}`,
    AWS_LAMBDA_LOG_FORMAT: spec.logFormat,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: local.region,
    AWS_DEFAULT_REGION: local.region,
    AWS_ACCESS_KEY_ID: local.accessKeyId ?? 'test',
    AWS_SECRET_ACCESS_KEY: local.secretAccessKey ?? 'test',
    // An IP address endpoint also makes the SDK's S3 client use path-style addressing, which
    // LocalStack needs offline (*.localhost.localstack.cloud does not resolve).
    AWS_ENDPOINT_URL: local.endpoint,
    ...kafkaOverride(spec, local),
    // The function runs nodejs22.x on AWS but this machine's Node here: the SDK's notice about
    // Node 20 would be the host's, logged as an error at every cold start. (Read by nothing else.)
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...overrides,
  };
}
