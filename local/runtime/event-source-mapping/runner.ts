import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IteratorPosition, ShardInfo, ShardSource, StreamRecord } from '../kinesis/index.js';
import { kinesisShardSource } from '../kinesis/index.js';
import { PayloadTooLargeError } from '../lambda/errors.js';
import type { LocalFunction, LocalLambdaRuntime } from '../lambda/index.js';
import type { CloudAssembly, LocalAwsContext } from '../template/index.js';
import { type BackoffSettings, retryUntilDone, sleepBeforeRetry } from './backoff.js';
import { CheckpointStore, type ShardCheckpoint } from './checkpoint-store.js';
import { isKinesisMapping, type KinesisMappingConfig, readKinesisMapping } from './config.js';
import { type EventSourceContext, kinesisEvent, type TumblingWindowFields } from './kinesis-event.js';
import {
  type DiscardedBatch,
  type OnFailureSink,
  onFailureRecord,
  queueUrlFromArn,
  sqsOnFailureSink,
} from './on-failure.js';
import { emptyShardProgress, type MappingProgress, type ShardProgress, summarize } from './progress.js';
import { classifyResponse, type InvocationOutcome } from './response.js';
import { type PollingOptions, ShardConsumer } from './shard-consumer.js';

/** Options of {@link EventSourceMappingRunner.start}. */
export interface EventSourceMappingRunnerOptions {
  readonly assembly: CloudAssembly;
  readonly lambda: LocalLambdaRuntime;
  readonly context: LocalAwsContext;
  /** HTTP/1.1 Kinesis client for LocalStack (`kinesisClient()` of local/services/clients.ts). */
  readonly kinesis: KinesisClient;
  readonly sqs: SQSClient;
  /** Per-shard positions survive a killed runtime here (`<run folder>/esm-checkpoints.json`). */
  readonly checkpointFile?: string;
  readonly polling?: Partial<PollingOptions>;
  /** How often new shards (resharding) are looked for. @default 5000 */
  readonly shardDiscoveryIntervalMs?: number;
  /** Only the mappings this accepts run (e.g. one pipeline's). @default all Kinesis mappings */
  readonly filter?: (mapping: KinesisMappingConfig) => boolean;
  /**
   * Replaces a mapping's Kinesis calls (unit tests; the runtime shares reads with Firehose); for
   * undefined the mapping reads its stream directly.
   */
  readonly shardSource?: (mapping: KinesisMappingConfig) => ShardSource | undefined;
  /** Runner messages (errors reading a shard, failed batches). @default stderr */
  readonly log?: (message: string) => void;
}

/** Between tries to hand an invocation record to the on-failure destination. */
const ON_FAILURE_BACKOFF: BackoffSettings = { backoffBaseMs: 200, maxBackoffMs: 5_000 };

const DEFAULT_POLLING: PollingOptions = {
  pollIntervalMs: 1_000,
  maxBufferedRecords: 20_000,
  backoffBaseMs: 100,
  maxBackoffMs: 5_000,
};

/**
 * Runs every Kinesis `AWS::Lambda::EventSourceMapping` of the template against LocalStack the way
 * Lambda's poller does (see ShardConsumer, Lane and deliverBatch for the semantics), invoking the
 * functions through the local Lambda runtime.
 */
export class EventSourceMappingRunner {
  private readonly controller = new AbortController();
  private readonly running: Promise<void>[] = [];
  private readonly progressByMapping = new Map<
    string,
    { config: KinesisMappingConfig; fn: LocalFunction; shards: Map<string, ShardProgress> }
  >();
  private readonly checkpoints: CheckpointStore;
  private failure: unknown;

  private constructor(private readonly options: EventSourceMappingRunnerOptions) {
    this.checkpoints = new CheckpointStore(options.checkpointFile);
    // Every shard consumer (and each of its pending sleeps) listens to this one signal: more than
    // Node's default of 10 listeners is the normal case here, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  /** Reads the mappings, then starts polling every shard of every enabled one. */
  static start(options: EventSourceMappingRunnerOptions): EventSourceMappingRunner {
    const runner = new EventSourceMappingRunner(options);
    const mappings = options.assembly
      .resources('AWS::Lambda::EventSourceMapping')
      .filter(isKinesisMapping)
      .map((r) => readKinesisMapping(options.assembly, r))
      .filter((m) => m.enabled && (options.filter?.(m) ?? true));
    for (const mapping of mappings) {
      if (mapping.tumblingWindowSeconds > 0 && mapping.parallelizationFactor > 1) {
        // Each lane's window state would have to be kept with the records it covers: the shard's
        // checkpoint trails the lanes that ran ahead, whose records are delivered again.
        runner.log(
          `${mapping.id}: with ParallelizationFactor ${mapping.parallelizationFactor}, the tumbling windows' state is not kept across a restart of the local runtime: windows open at a restart start again from an empty state`,
        );
      }
      const fn = options.lambda.function(mapping.functionResource);
      const shards = new Map<string, ShardProgress>();
      runner.progressByMapping.set(mapping.id, { config: mapping, fn, shards });
      runner.running.push(
        runner.runMapping(mapping, fn, shards).catch((error: unknown) => {
          runner.failure ??= error;
          runner.log(
            `${mapping.id}: stopped by an error: ${error instanceof Error ? error.stack : String(error)}`,
          );
        }),
      );
    }
    return runner;
  }

  /** The mappings this runner runs. */
  get mappings(): KinesisMappingConfig[] {
    return [...this.progressByMapping.values()].map((m) => m.config);
  }

  /** Live figures per mapping and shard (records read, processed, discarded, iterator age, ...). */
  progress(): MappingProgress[] {
    return [...this.progressByMapping.values()].map(({ config, fn, shards }) =>
      summarize(config.id, fn.spec.name, config.streamName, shards),
    );
  }

  /** An unexpected error that stopped a mapping, if any (shard read errors are retried, not here). */
  get error(): unknown {
    return this.failure;
  }

  /** Stops polling, lets in-flight invocations end, writes the checkpoints. */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.running);
    this.checkpoints.flush();
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`[esm] ${m}\n`)))(message);
  }

  private async runMapping(
    mapping: KinesisMappingConfig,
    fn: LocalFunction,
    shards: Map<string, ShardProgress>,
  ) {
    const { options } = this;
    const signal = this.controller.signal;
    const source = options.shardSource?.(mapping) ?? kinesisShardSource(options.kinesis, mapping.streamName);
    const destination = mapping.onFailureDestination;
    const sink = destination
      ? sqsOnFailureSink(options.sqs, queueUrlFromArn(destination, options.context.endpoint))
      : undefined;
    const consumers = new Map<string, Promise<void>>();
    const polling = { ...DEFAULT_POLLING, ...options.polling };
    while (!signal.aborted) {
      let listed: ShardInfo[] = [];
      try {
        listed = await source.listShards(signal);
      } catch (error) {
        if (signal.aborted) break;
        this.log(
          `${mapping.id}: ListShards of ${mapping.streamName} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      const known = new Set(listed.map((s) => s.shardId));
      for (const shard of listed) {
        if (consumers.has(shard.shardId)) continue;
        const saved = this.checkpoints.get(mapping.id, shard.shardId);
        const progress = shards.get(shard.shardId) ?? emptyShardProgress();
        shards.set(shard.shardId, progress);
        if (saved?.shardEnded) {
          progress.ended = true;
          progress.checkpoint = saved.sequenceNumber;
          consumers.set(shard.shardId, Promise.resolve());
          continue;
        }
        // Lambda finishes a parent shard before it reads its children (per-key order across resharding).
        const parents = [shard.parentShardId, shard.adjacentParentShardId].filter(
          (p): p is string => p !== undefined && known.has(p),
        );
        if (parents.some((p) => !shards.get(p)?.ended)) continue;
        const { start, since } = startOf(
          mapping,
          saved,
          parents.map((p) => this.checkpoints.get(mapping.id, p)?.since),
        );
        if (!saved && since !== undefined) this.checkpoints.set(mapping.id, shard.shardId, { since });
        progress.checkpoint = saved?.sequenceNumber;
        const consumer = new ShardConsumer({
          mapping,
          shardId: shard.shardId,
          source,
          eventSource: {
            shardId: shard.shardId,
            streamArn: mapping.streamArn,
            region: options.context.region,
            invokeIdentityArn:
              fn.spec.roleArn ?? `arn:aws:iam::${options.context.accountId}:role/${fn.spec.name}`,
          },
          checkpoints: this.checkpoints,
          progress,
          polling,
          signal,
          savedWindow: saved?.window,
          since,
          invoke: (records, tumbling) => this.invoke(mapping, fn, records, tumbling, shard.shardId),
          discard: (batch) => this.discard(mapping, fn, sink, batch, shard.shardId),
          log: (m) => this.log(m),
        });
        const run = consumer.run(start).catch((error: unknown) => {
          // Not expected (reads and invocations are retried inside): stop this shard, say why.
          progress.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          this.failure ??= error;
          this.log(`${mapping.id} ${shard.shardId}: stopped by an error: ${progress.lastError}`);
        });
        consumers.set(shard.shardId, run);
      }
      try {
        await sleep(options.shardDiscoveryIntervalMs ?? 5_000, undefined, { signal });
      } catch {
        break;
      }
    }
    await Promise.all(consumers.values());
  }

  private async invoke(
    mapping: KinesisMappingConfig,
    fn: LocalFunction,
    records: readonly StreamRecord[],
    tumbling: TumblingWindowFields | undefined,
    shardId: string,
  ): Promise<InvocationOutcome> {
    const source: EventSourceContext = {
      shardId,
      streamArn: mapping.streamArn,
      region: this.options.context.region,
      invokeIdentityArn:
        fn.spec.roleArn ?? `arn:aws:iam::${this.options.context.accountId}:role/${fn.spec.name}`,
    };
    try {
      const result = await fn.invoke(kinesisEvent(records, source, tumbling));
      return classifyResponse(result, records, {
        reportBatchItemFailures: mapping.reportBatchItemFailures,
        tumblingWindow: tumbling !== undefined,
      });
    } catch (error) {
      // The invocation could not be made (runtime closing, payload too large): not a function error.
      return {
        kind: 'not-invoked',
        reason: error instanceof Error ? error.message : String(error),
        payloadTooLarge: error instanceof PayloadTooLargeError,
      };
    }
  }

  private async discard(
    mapping: KinesisMappingConfig,
    fn: LocalFunction,
    sink: OnFailureSink | undefined,
    batch: DiscardedBatch,
    shardId: string,
  ): Promise<void> {
    const what = `${batch.records.length} record(s) of ${shardId} (${batch.condition})`;
    if (!sink) {
      this.log(`${mapping.id}: discarded ${what}; no on-failure destination`);
      return;
    }
    const record = onFailureRecord(batch, {
      shardId,
      streamArn: mapping.streamArn,
      functionArn: fn.spec.arn,
    });
    // The destination must get the record: retry until it does or the runner stops.
    await retryUntilDone(
      () => sink.send(record),
      (error) =>
        this.log(
          `${mapping.id}: on-failure destination refused ${what}: ${error instanceof Error ? error.message : String(error)}`,
        ),
      (attempt) => sleepBeforeRetry(attempt, ON_FAILURE_BACKOFF, this.controller.signal),
    );
  }
}

/**
 * Where a mapping starts reading a shard: after its checkpoint; else, for a shard without parents,
 * at the starting position; else (a child of a split or merge, its parents read to their ends) at
 * its start (TRIM_HORIZON), unless the mapping reads by time: then from when it began reading its
 * parents, so that a reshard older than a LATEST mapping (or than StartingPositionTimestamp) does
 * not bring the child's older records. `since` is that time, kept with the shard's checkpoint.
 */
export function startOf(
  mapping: KinesisMappingConfig,
  saved: ShardCheckpoint | undefined,
  parentsSince: readonly (number | undefined)[],
  now = Date.now(),
): { start: IteratorPosition; since?: number } {
  if (saved?.sequenceNumber) {
    return {
      start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: saved.sequenceNumber },
      since: saved.since,
    };
  }
  if (saved?.since !== undefined)
    return { start: { type: 'AT_TIMESTAMP', timestampMs: saved.since }, since: saved.since };
  if (parentsSince.length > 0) {
    // A parent read from its start (TRIM_HORIZON) leaves nothing of its children to skip.
    if (mapping.startingPosition === 'TRIM_HORIZON' || parentsSince.some((t) => t === undefined)) {
      return { start: { type: 'TRIM_HORIZON' } };
    }
    const since = Math.min(...(parentsSince as number[]));
    return { start: { type: 'AT_TIMESTAMP', timestampMs: since }, since };
  }
  if (mapping.startingPosition === 'AT_TIMESTAMP') {
    const since = mapping.startingPositionTimestampMs ?? 0;
    return { start: { type: 'AT_TIMESTAMP', timestampMs: since }, since };
  }
  if (mapping.startingPosition === 'LATEST') return { start: { type: 'LATEST' }, since: now };
  return { start: { type: 'TRIM_HORIZON' } };
}
