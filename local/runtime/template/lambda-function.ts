import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import type { CloudAssembly } from './cloud-assembly.js';
import { TemplateError } from './errors.js';
import type { TemplateResource } from './stack-template.js';
import { templateNumber } from './template-values.js';

/** Everything the local Lambda runtime needs to run one `AWS::Lambda::Function` of the template. */
export interface LambdaFunctionSpec {
  readonly logicalId: string;
  readonly stackName: string;
  readonly constructPath: string | undefined;
  /** Local function name (explicit FunctionName, else generated like CloudFormation). */
  readonly name: string;
  readonly arn: string;
  /** `Handler`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  /** `Timeout`, CloudFormation's default 3 s when absent. */
  readonly timeoutSeconds: number;
  /** `MemorySize`, default 128 MB. */
  readonly memoryMb: number;
  /** `Environment.Variables`, Refs resolved to local names (queue URLs, bucket names, ...). */
  readonly environment: Readonly<Record<string, string>>;
  /** The execution role's ARN (`invokeIdentityArn` of stream events). */
  readonly roleArn: string | undefined;
  /** `LoggingConfig.LogFormat` (Text or JSON) and the log group name. */
  readonly logFormat: string;
  readonly logGroup: string;
  /** `ReservedConcurrentExecutions`, when the template caps the function's concurrency. */
  readonly reservedConcurrency: number | undefined;
  /** The asset folder (`cdk.out/asset.<hash>`): Lambda's /var/task. */
  readonly codeDir: string;
  /** The module file the handler names (`<codeDir>/index.mjs`, `.js` or `.cjs`). */
  readonly entryFile: string;
  /** The exported function the handler names (`handler` of `index.handler`). */
  readonly exportName: string;
}

const FunctionProperties = z.object({
  Handler: z.string().optional(),
  Runtime: z.string().optional(),
  Timeout: templateNumber.optional(),
  MemorySize: templateNumber.optional(),
  Role: z.string().optional(),
  Environment: z
    .object({ Variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })
    .optional(),
  LoggingConfig: z.object({ LogFormat: z.string().optional(), LogGroup: z.string().optional() }).optional(),
  ReservedConcurrentExecutions: templateNumber.optional(),
  Code: z
    .object({ S3Key: z.string().optional(), ZipFile: z.string().optional(), ImageUri: z.string().optional() })
    .optional(),
  PackageType: z.string().optional(),
});

/**
 * Reads one `AWS::Lambda::Function` of the assembly: its settings, its environment with local
 * names, and the bundled asset CDK wrote (found from the `aws:asset:path` metadata, else from
 * `Code.S3Key` = `<hash>.zip` -> `asset.<hash>`). Throws when the function is not a zip-packaged
 * Node.js function or its bundle is missing.
 */
export function readLambdaFunction(assembly: CloudAssembly, resource: TemplateResource): LambdaFunctionSpec {
  const where = `${resource.stackName}/${resource.logicalId}`;
  if (resource.type !== 'AWS::Lambda::Function') {
    throw new TemplateError(`${where}: expected an AWS::Lambda::Function (given ${resource.type})`);
  }
  const parsed = FunctionProperties.safeParse(resource.properties());
  if (!parsed.success)
    throw new TemplateError(`${where}: unexpected properties: ${z.prettifyError(parsed.error)}`);
  const p = parsed.data;
  if (p.PackageType === 'Image' || p.Code?.ImageUri) {
    throw new TemplateError(`${where}: container image functions are not run locally (zip packages only)`);
  }
  const runtime = p.Runtime ?? 'unknown';
  if (!runtime.startsWith('nodejs')) {
    throw new TemplateError(`${where}: only Node.js runtimes run locally (given ${runtime})`);
  }
  const handler = p.Handler ?? 'index.handler';
  const dot = handler.lastIndexOf('.');
  if (dot <= 0)
    throw new TemplateError(`${where}: Handler must be <module>.<export> (given ${JSON.stringify(handler)})`);
  const codeDir = assetDir(assembly, resource, p.Code?.S3Key, where);
  const modulePath = handler.slice(0, dot);
  const entryFile = ['.mjs', '.js', '.cjs']
    .map((ext) => join(codeDir, modulePath + ext))
    .find((f) => existsSync(f));
  if (!entryFile) {
    throw new TemplateError(`${where}: handler module ${modulePath}.mjs/.js/.cjs not found in ${codeDir}`);
  }
  const name = resource.physicalName;
  return {
    logicalId: resource.logicalId,
    stackName: resource.stackName,
    constructPath: resource.constructPath,
    name,
    arn: resource.arn,
    handler,
    runtime,
    timeoutSeconds: p.Timeout ?? 3,
    memoryMb: p.MemorySize ?? 128,
    environment: Object.fromEntries(
      Object.entries(p.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]),
    ),
    roleArn: p.Role,
    logFormat: p.LoggingConfig?.LogFormat ?? 'Text',
    logGroup: p.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`,
    reservedConcurrency: p.ReservedConcurrentExecutions,
    codeDir,
    entryFile,
    exportName: handler.slice(dot + 1),
  };
}

function assetDir(
  assembly: CloudAssembly,
  resource: TemplateResource,
  s3Key: string | undefined,
  where: string,
): string {
  const metadataPath = resource.metadata['aws:asset:path'];
  const candidates: string[] = [];
  if (typeof metadataPath === 'string') {
    candidates.push(isAbsolute(metadataPath) ? metadataPath : join(assembly.dir, metadataPath));
  }
  const hash = s3Key?.match(/^(?:.*\/)?([0-9a-f]{64})\.zip$/)?.[1];
  if (hash) candidates.push(join(assembly.dir, `asset.${hash}`));
  const found = candidates.find((dir) => existsSync(dir) && statSync(dir).isDirectory());
  if (!found) {
    throw new TemplateError(
      `${where}: bundled code not found (looked in ${candidates.join(', ') || 'no aws:asset:path metadata, no Code.S3Key'}); synthesize the app first`,
    );
  }
  return found;
}
