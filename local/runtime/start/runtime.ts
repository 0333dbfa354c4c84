import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Kafka } from 'kafkajs';
import type { EventSourceMappingRunner } from '../event-source-mapping/index.js';
import { deliveryStreamResources, type FirehoseDelivery, startFirehoseDelivery } from '../firehose/index.js';
import { fileLogSink, LocalLambdaRuntime, ScheduleRunner } from '../lambda/index.js';
import type { CloudAssembly, LocalAwsContext } from '../template/index.js';
import type { LocalClients } from './clients.js';
import { FaultInjectingLambdaRuntime, type FaultPlan } from './faults.js';
import { startKafkaConsumers } from './kafka-runtime.js';
import { sharedKinesisReads, startKinesisConsumers } from './kinesis-runtime.js';
import type { LocalstackWatch } from './localstack-watch.js';
import { isPipelineDelivery, type PipelineResources } from './pipeline-resources.js';
import type { RunFolder } from './run-folder.js';

/** The aggregator mapping's totals, as summary.json's `esm` carries them. */
export interface MappingTotals {
  readonly recordsProcessed: number;
  readonly recordsDiscarded: number;
  readonly invocations: number;
  readonly failedInvocations: number;
}

/** What differs between a Kinesis and an MSK run: the aggregator's mapping and its stream. */
export interface StreamConsumers {
  /** Kinesis runs only: the mapping runner, whose shard positions --keep-running reads. */
  readonly esm?: EventSourceMappingRunner;
  /** How far the mapping is behind, for the progress line. */
  lagText(): string;
  totals(): MappingTotals | undefined;
  /** Whether the mapping has processed every record written to the stream before `since`. */
  caughtUp(since: number): Promise<boolean>;
  /** Throws a RunFailedError when LocalStack (or the broker) lost the stream or topic. */
  assertStreamAlive(): Promise<void>;
  /** Stops the mapping (no invocation in flight afterwards). */
  stop(): Promise<void>;
}

/** The local runtime of one pipeline: Firehose delivery, Lambda, its mapping and the schedules. */
export interface PipelineRuntime extends Omit<StreamConsumers, 'stop'> {
  readonly firehose: FirehoseDelivery;
  readonly lambda: LocalLambdaRuntime;
  readonly schedules: ScheduleRunner;
  /** Records the mapping finished with (processed or given up on). */
  consumed(): number;
  deadLetters(): Promise<number>;
  /** Stops the mapping and the schedules (no invocation in flight afterwards). */
  stopConsumers(): Promise<void>;
  /** Stops everything that is still running. */
  close(): Promise<void>;
}

/** What {@link startPipelineRuntime} needs. */
export interface PipelineRuntimeOptions {
  readonly assembly: CloudAssembly;
  readonly context: LocalAwsContext;
  readonly clients: LocalClients;
  /** The local broker, for an MSK run. */
  readonly kafka?: Kafka;
  readonly resources: PipelineResources;
  readonly folder: RunFolder;
  readonly watch?: LocalstackWatch;
  readonly faults?: Omit<FaultPlan, 'functionName' | 'counterFile'>;
  readonly log: (line: string) => void;
}

/**
 * Starts the pieces LocalStack cannot run offline, for one pipeline: every DirectPut delivery
 * stream and the pipeline's raw one (Kinesis- or MSK-sourced), the local Lambda runtime with
 * Firehose pointed at the local endpoint, the pipeline's event source mapping and the template's
 * schedules.
 */
export async function startPipelineRuntime(options: PipelineRuntimeOptions): Promise<PipelineRuntime> {
  const { assembly, clients, resources, folder } = options;
  const kinesis = resources.mapping.transport === 'kinesis' ? sharedKinesisReads(options) : undefined;
  const firehose = await startFirehoseDelivery({
    shardSource: kinesis?.shardSource,
    resources: deliveryStreamResources(assembly).filter((r) => isPipelineDelivery(r.properties, resources)),
    s3: clients.s3,
    kinesis: clients.kinesis,
    kafka: options.kafka,
    runDir: folder.dir,
    region: options.context.region,
    onError: (error) => options.log(`[firehose] ${error instanceof Error ? error.message : String(error)}`),
  });
  const runtimeOptions = {
    local: { endpoint: options.context.endpoint, region: options.context.region },
    logs: fileLogSink(folder.lambdaLogs),
    environmentOverrides: () => ({ AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint.url }),
  };
  const aggregatorName = resources.mapping.config.functionResource.physicalName;
  const lambda = options.faults
    ? new FaultInjectingLambdaRuntime(assembly, runtimeOptions, {
        ...options.faults,
        functionName: aggregatorName,
        counterFile: `${folder.dir}/fault-invocations`,
      })
    : new LocalLambdaRuntime(assembly, runtimeOptions);
  const consumers = kinesis
    ? startKinesisConsumers({ ...options, lambda, shardSource: kinesis.shardSource })
    : startKafkaConsumers({ ...options, lambda });
  const schedules = ScheduleRunner.start({
    assembly,
    lambda,
    context: options.context,
    log: (m) => options.log(`[schedule] ${m}`),
  });
  let consumersStopped = false;
  const stopConsumers = async () => {
    if (consumersStopped) return;
    consumersStopped = true;
    await schedules.stop();
    await consumers.stop();
  };
  return {
    firehose,
    lambda,
    schedules,
    esm: consumers.esm,
    consumed: () => {
      const t = consumers.totals();
      return t ? t.recordsProcessed + t.recordsDiscarded : 0;
    },
    lagText: () => consumers.lagText(),
    totals: () => consumers.totals(),
    caughtUp: (since) => consumers.caughtUp(since),
    assertStreamAlive: () => consumers.assertStreamAlive(),
    deadLetters: async () => {
      const out = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: resources.deadLetterQueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const a = out.Attributes ?? {};
      return (
        Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },
    stopConsumers,
    async close() {
      // Every part stops even when another fails (a LocalStack that restarted fails Firehose's
      // last flush): one Lambda environment left running keeps the process from exiting.
      const failures: unknown[] = [];
      await stopConsumers().catch((error: unknown) => failures.push(error));
      await firehose.stop().catch((error: unknown) => failures.push(error));
      lambda.close();
      if (failures.length > 0) throw failures[0];
    },
  };
}
