import { App, Aspects, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseContext, readContext, type TributaryContext } from './context.js';
import { AcknowledgeWildcards, TRIBUTARY_WILDCARDS } from './nag/wildcard-acknowledgements.js';
import { resolvePipelines } from './pipeline-catalog.js';
import { TributaryStack } from './stacks/tributary-stack.js';

/**
 * Server access logs are granted by a bucket policy instead of the legacy LogDeliveryWrite ACL,
 * which S3 rejects on buckets with ACLs disabled (BucketOwnerEnforced).
 */
const FEATURE_FLAGS = { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true };

/** Options of {@link createTributaryApp}. */
export interface CreateAppOptions {
  /** Context values, as `-c` would give them (they win over the app's own context). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Cloud assembly folder. @default - CDK's default (cdk.out, or a temporary folder in tests) */
  readonly outdir?: string;
  /** Register cdk-nag's AwsSolutions pack as a validation plugin. @default true */
  readonly nag?: boolean;
}

/** The app, its one stack and the settings it was built with. */
export interface TributaryApp {
  readonly app: App;
  readonly stack: TributaryStack;
  readonly settings: TributaryContext;
}

/**
 * Builds the CDK app from context: validates it, resolves the pipelines, creates the stack and
 * applies cdk-nag's AwsSolutions checks (synthesis fails on any unacknowledged finding).
 */
export async function createTributaryApp(options: CreateAppOptions = {}): Promise<TributaryApp> {
  const app = new App({
    outdir: options.outdir,
    // Feature flags the constructs rely on, then the caller's context.
    context: { ...FEATURE_FLAGS, ...options.context },
  });
  const settings = parseContext(readContext((key) => app.node.tryGetContext(key)));
  const pipelines = resolvePipelines(settings.pipelines);
  const stack = new TributaryStack(app, `Tributary-${settings.stage}`, {
    settings,
    pipelines,
    description: `Tributary streaming pipeline (${settings.stage}): ${settings.transport === 'msk' ? 'MSK Serverless' : 'Kinesis'}, Lambda aggregators, Firehose warehouse`,
    tags: { project: 'tributary', stage: settings.stage },
  });
  Aspects.of(app).add(new AcknowledgeWildcards(TRIBUTARY_WILDCARDS));
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, settings };
}
