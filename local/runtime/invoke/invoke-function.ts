import { rmSync } from 'node:fs';
import {
  type DeliveryCounters,
  type FirehoseDelivery,
  parseDeliveryStream,
  startFirehoseDelivery,
} from '../firehose/index.js';
import { type InvokeResult, LocalLambdaRuntime, type LogSink, stderrLogSink } from '../lambda/index.js';
import { type CloudAssembly, readLambdaFunction, type TemplateResource } from '../template/index.js';
import type { FunctionEntry } from './function-catalog.js';
import {
  type ProvisionClients,
  type ProvisionedResource,
  provisionResources,
  queueDepths,
  touchedResources,
} from './provision.js';

/** Options of {@link invokeFunction}. */
export interface InvokeFunctionOptions {
  readonly assembly: CloudAssembly;
  readonly entry: FunctionEntry;
  readonly event: unknown;
  /** LocalStack's endpoint and region: the function's SDK clients go there. */
  readonly endpoint: string;
  readonly region: string;
  /** LocalStack clients (S3 path-style, Kinesis over HTTP/1.1). */
  readonly clients: ProvisionClients;
  /** A folder of this invocation (Firehose spool); removed after a clean run. */
  readonly runDir: string;
  /** The function's log lines. @default stderr */
  readonly logs?: LogSink;
  /** Progress and summary lines of the runtime itself. */
  readonly log?: (line: string) => void;
}

/** What one local invocation did. */
export interface InvokeOutcome {
  readonly result: InvokeResult;
  /** Buckets, queues and streams the function's environment names, and whether they had to be created. */
  readonly provisioned: readonly ProvisionedResource[];
  /** Per emulated delivery stream: what the function sent and what was written to S3. */
  readonly firehose: Readonly<Record<string, DeliveryCounters & { buffered: number }>>;
  /** Per queue the function names (its dead-letter queue): messages before and after the invocation. */
  readonly queues: Readonly<Record<string, { readonly before: number; readonly after: number }>>;
}

/** Delivery streams the function names, and the buckets they write to (which must exist too). */
function deliveryTargets(assembly: CloudAssembly, touched: readonly TemplateResource[]) {
  const streams = touched.filter((r) => r.type === 'AWS::KinesisFirehose::DeliveryStream');
  const configs = streams.map((r) => ({
    resource: r,
    config: parseDeliveryStream(r.logicalId, r.properties(), r.physicalName),
  }));
  const bucketNames = new Set(configs.map((c) => c.config.bucket));
  const buckets = assembly
    .resources('AWS::S3::Bucket')
    .filter((b) => bucketNames.has(b.physicalName) && !touched.includes(b));
  // Only direct-put streams receive what a function sends; Kinesis-sourced ones read their stream.
  const directPut = configs.filter((c) => c.config.source.type === 'DirectPut').map((c) => c.resource);
  return { directPut, buckets };
}

/**
 * Runs one function of the template once, locally: provisions what its environment names in
 * LocalStack, starts the Firehose emulation for the delivery streams it sends to (so its
 * PutRecordBatch calls land as S3 objects in the warehouse bucket, as they would on AWS), invokes
 * the handler in a fresh execution environment and stops everything again, writing what Firehose
 * still buffered.
 */
export async function invokeFunction(options: InvokeFunctionOptions): Promise<InvokeOutcome> {
  const { assembly, entry } = options;
  const log = options.log ?? (() => {});
  const spec = readLambdaFunction(assembly, entry.resource);
  const touched = touchedResources(assembly, spec.environment);
  const { directPut, buckets } = deliveryTargets(assembly, touched);
  const provisioned = await provisionResources([...touched, ...buckets], options.clients);
  for (const p of provisioned) log(`${p.action === 'created' ? 'created' : 'found'} ${p.type} ${p.name}`);

  const queueNames = touched.filter((r) => r.type === 'AWS::SQS::Queue').map((r) => r.physicalName);
  const before = await queueDepths(options.clients.sqs, queueNames);

  let delivery: FirehoseDelivery | undefined;
  if (directPut.length > 0) {
    delivery = await startFirehoseDelivery({
      resources: directPut.map((r) => ({
        logicalId: r.logicalId,
        physicalName: r.physicalName,
        properties: r.properties(),
      })),
      s3: options.clients.s3,
      kinesis: options.clients.kinesis,
      runDir: options.runDir,
      region: options.region,
    });
    log(
      `Firehose emulation for ${directPut.map((r) => r.physicalName).join(', ')} at ${delivery.endpoint.url}`,
    );
  }
  const firehoseUrl = delivery?.endpoint.url;
  const runtime = new LocalLambdaRuntime(assembly, {
    local: { endpoint: options.endpoint, region: options.region },
    logs: options.logs ?? stderrLogSink,
    maxConcurrency: 1,
    environmentOverrides: () => (firehoseUrl ? { AWS_ENDPOINT_URL_FIREHOSE: firehoseUrl } : undefined),
  });
  let result: InvokeResult;
  try {
    result = await runtime.function(entry.resource).invoke(options.event);
  } finally {
    runtime.close();
    // Stop writes every buffer: an invocation's aggregates are in S3 when the command returns.
    await delivery?.stop();
  }
  const firehose = delivery?.counters() ?? {};
  const after = await queueDepths(options.clients.sqs, queueNames);
  const queues = Object.fromEntries(
    queueNames.map((name) => [name, { before: before[name] ?? 0, after: after[name] ?? 0 }]),
  );
  rmSync(options.runDir, { recursive: true, force: true });
  return { result, provisioned, firehose, queues };
}
