import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { EventSourceMappingRunner } from '../event-source-mapping/index.js';
import { caughtUpSince } from '../event-source-mapping/progress.js';
import {
  deliveryStreamResources,
  type FirehoseDelivery,
  KINESIS_POLL_INTERVAL_MS,
  startFirehoseDelivery,
} from '../firehose/index.js';
import { kinesisShardSource, SharedShardReads } from '../kinesis/index.js';
import { fileLogSink, LocalLambdaRuntime, ScheduleRunner } from '../lambda/index.js';
import type { CloudAssembly, LocalAwsContext } from '../template/index.js';
import type { LocalClients } from './clients.js';
import { FaultInjectingLambdaRuntime, type FaultPlan } from './faults.js';
import type { PipelineResources } from './pipeline-resources.js';
import type { RunFolder } from './run-folder.js';

/** The local runtime of one pipeline: Firehose delivery, Lambda, its mapping and the schedules. */
export interface PipelineRuntime {
  readonly firehose: FirehoseDelivery;
  readonly lambda: LocalLambdaRuntime;
  readonly esm: EventSourceMappingRunner;
  readonly schedules: ScheduleRunner;
  /** Records the mapping finished with (processed or given up on). */
  consumed(): number;
  iteratorAgeMs(): number;
  /**
   * True when, for every given shard, the mapping has read and checkpointed everything written
   * before `since` (epoch ms), or the shard ended.
   */
  caughtUp(shardIds: readonly string[], since: number): boolean;
  /** Errors reading shards (e.g. ResourceNotFound after a LocalStack restart), by shard. */
  shardErrors(): string[];
  deadLetters(): Promise<number>;
  /** Stops the mapping and the schedules (no invocation in flight afterwards). */
  stopConsumers(): Promise<void>;
  /** Stops everything that is still running. */
  close(): Promise<void>;
}

/**
 * Starts the pieces LocalStack cannot run offline, for one pipeline: every DirectPut delivery
 * stream and the pipeline's raw (Kinesis-sourced) one, the local Lambda runtime with Firehose
 * pointed at the local endpoint, the pipeline's event source mapping and the template's schedules.
 */
export async function startPipelineRuntime(options: {
  readonly assembly: CloudAssembly;
  readonly context: LocalAwsContext;
  readonly clients: LocalClients;
  readonly resources: PipelineResources;
  readonly folder: RunFolder;
  readonly faults?: Omit<FaultPlan, 'functionName' | 'counterFile'>;
  readonly log: (line: string) => void;
}): Promise<PipelineRuntime> {
  const { assembly, clients, resources, folder } = options;
  const streamArnSuffix = `:stream/${resources.streamName}`;
  const delivery = deliveryStreamResources(assembly).filter((r) => {
    const props = r.properties as {
      DeliveryStreamType?: unknown;
      KinesisStreamSourceConfiguration?: { KinesisStreamARN?: unknown };
    };
    if (props.DeliveryStreamType !== 'KinesisStreamAsSource') return true;
    const arn = props.KinesisStreamSourceConfiguration?.KinesisStreamARN;
    return typeof arn === 'string' && arn.endsWith(streamArnSuffix);
  });
  // The mapping and the raw Firehose read the stream once between them (kinesis-mock's time is the
  // limit). The Firehose, which buffers for a minute, takes what the mapping read within its own
  // poll interval as the tip, so its polls cost kinesis-mock nothing while the mapping reads.
  const sharedReads = new SharedShardReads(kinesisShardSource(clients.kinesis, resources.streamName));
  const sharedSource = (streamName: string, maxStalenessMs = 0) =>
    streamName === resources.streamName ? sharedReads.source({ maxStalenessMs }) : undefined;
  const firehose = await startFirehoseDelivery({
    shardSource: (streamName) => sharedSource(streamName, KINESIS_POLL_INTERVAL_MS),
    resources: delivery,
    s3: clients.s3,
    kinesis: clients.kinesis,
    runDir: folder.dir,
    region: options.context.region,
    onError: (error) => options.log(`[firehose] ${error instanceof Error ? error.message : String(error)}`),
  });
  const runtimeOptions = {
    local: { endpoint: options.context.endpoint, region: options.context.region },
    logs: fileLogSink(folder.lambdaLogs),
    environmentOverrides: () => ({ AWS_ENDPOINT_URL_FIREHOSE: firehose.endpoint.url }),
  };
  const aggregatorName = resources.mapping.functionResource.physicalName;
  const lambda = options.faults
    ? new FaultInjectingLambdaRuntime(assembly, runtimeOptions, {
        ...options.faults,
        functionName: aggregatorName,
        counterFile: `${folder.dir}/fault-invocations`,
      })
    : new LocalLambdaRuntime(assembly, runtimeOptions);
  const esm = EventSourceMappingRunner.start({
    assembly,
    lambda,
    context: options.context,
    kinesis: clients.kinesis,
    sqs: clients.sqs,
    checkpointFile: folder.esmCheckpoints,
    filter: (m) => m.id === resources.mapping.id,
    shardSource: (m) => sharedSource(m.streamName),
    log: (m) => options.log(`[esm] ${m}`),
  });
  const schedules = ScheduleRunner.start({
    assembly,
    lambda,
    context: options.context,
    log: (m) => options.log(`[schedule] ${m}`),
  });
  const mapping = () => esm.progress()[0];
  let consumersStopped = false;
  const stopConsumers = async () => {
    if (consumersStopped) return;
    consumersStopped = true;
    await schedules.stop();
    await esm.stop();
  };
  return {
    firehose,
    lambda,
    esm,
    schedules,
    consumed: () => {
      const t = mapping()?.totals;
      return t ? t.recordsProcessed + t.recordsDiscarded : 0;
    },
    iteratorAgeMs: () => mapping()?.totals.iteratorAgeMs ?? 0,
    caughtUp: (shardIds, since) => {
      const shards = mapping()?.shards ?? {};
      return shardIds.every((id) => {
        const shard = shards[id];
        return shard !== undefined && caughtUpSince(shard, since);
      });
    },
    shardErrors: () =>
      Object.entries(mapping()?.shards ?? {}).flatMap(([id, s]) =>
        s.lastError ? [`${id}: ${s.lastError}`] : [],
      ),
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
