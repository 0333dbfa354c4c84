import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IteratorPosition, ShardSource, StreamRecord } from '../kinesis/index.js';
import { sleepBeforeRetry } from './backoff.js';
import type { CheckpointStore, SavedWindow } from './checkpoint-store.js';
import type { KinesisMappingConfig } from './config.js';
import { StoppedError } from './errors.js';
import type { EventSourceContext, TumblingWindowFields } from './kinesis-event.js';
import { Lane } from './lane.js';
import type { DiscardedBatch } from './on-failure.js';
import { nextPollAt } from './poll-pacing.js';
import type { ShardProgress } from './progress.js';
import type { InvocationOutcome } from './response.js';
import { Notifier, SequenceTracker } from './signals.js';

/** GetRecords' maximum page. */
const GET_RECORDS_LIMIT = 10_000;

/** Polling settings (not in the template: how often the local poller asks). */
export interface PollingOptions {
  /**
   * The least time between the starts of two GetRecords on a shard, unless the last one came back
   * full (more is waiting). Lambda polls each shard about once a second; polling faster gains
   * little behind a batching window and slows kinesis-mock's PutRecords for everyone.
   */
  readonly pollIntervalMs: number;
  /** Stop reading ahead when this many records wait in the lanes. */
  readonly maxBufferedRecords: number;
  /** First retry delay of a failed batch; doubles per attempt up to `maxBackoffMs`. */
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
}

export interface ShardConsumerDeps {
  readonly mapping: KinesisMappingConfig;
  readonly shardId: string;
  readonly source: ShardSource;
  readonly eventSource: EventSourceContext;
  readonly checkpoints: CheckpointStore;
  readonly progress: ShardProgress;
  readonly polling: PollingOptions;
  readonly signal: AbortSignal;
  /** The tumbling window the last run left open on this shard (ParallelizationFactor 1 only). */
  readonly savedWindow?: SavedWindow;
  /** When the mapping started reading this shard by time (checkpoint-store.ts), kept with its checkpoint. */
  readonly since?: number;
  invoke(
    records: readonly StreamRecord[],
    tumbling: TumblingWindowFields | undefined,
  ): Promise<InvocationOutcome>;
  discard(batch: DiscardedBatch): Promise<void>;
  log(message: string): void;
}

/**
 * Reads one shard for one mapping: an iterator from the checkpoint (else the starting position),
 * GetRecords in a loop, records dealt to ParallelizationFactor lanes by partition-key hash (so a
 * key's records stay in order), and the shard's checkpoint moved as the lanes finish batches.
 */
export class ShardConsumer {
  private readonly lanes: Lane[];
  private readonly tracker = new SequenceTracker();
  private readonly notifier: Notifier;
  private ended = false;

  constructor(private readonly deps: ShardConsumerDeps) {
    this.notifier = new Notifier(deps.signal);
    const { mapping } = deps;
    const host = {
      source: deps.eventSource,
      notifier: this.notifier,
      signal: deps.signal,
      shardEnded: () => this.ended,
      caughtUpAt: () => deps.progress.readToTipAt ?? 0,
      invoke: (records: readonly StreamRecord[], tumbling: TumblingWindowFields | undefined) =>
        this.invoke(records, tumbling),
      discard: (batch: DiscardedBatch) => this.discard(batch),
      processed: (records: readonly StreamRecord[]) => {
        deps.progress.recordsProcessed += records.length;
        this.done(records);
      },
      windowClosed: () => this.saveCheckpoint(),
      backoff: (attempt: number) => this.backoff(attempt),
    };
    // Window state is saved only with one lane: with several, the shard checkpoint trails the lanes
    // that ran ahead, and their saved state would count the records delivered again twice.
    const saved = mapping.parallelizationFactor === 1 ? deps.savedWindow : undefined;
    this.lanes = Array.from({ length: mapping.parallelizationFactor }, () => new Lane(mapping, host, saved));
  }

  /** Runs until the shard ends (closed and fully processed) or the runner stops. */
  async run(start: IteratorPosition): Promise<void> {
    const lanes = this.lanes.map((lane) => lane.run());
    try {
      await this.fetchLoop(start);
    } catch (error) {
      if (!(error instanceof StoppedError)) throw error;
    } finally {
      this.notifier.notify();
      await Promise.all(lanes);
    }
    if (this.ended && this.tracker.outstanding === 0) {
      this.deps.progress.ended = true;
      const { checkpoint } = this.deps.progress;
      this.deps.checkpoints.set(this.deps.mapping.id, this.deps.shardId, {
        sequenceNumber: checkpoint,
        shardEnded: true,
        since: this.deps.since,
      });
    }
  }

  private async fetchLoop(start: IteratorPosition): Promise<void> {
    const { source, signal, progress, polling } = this.deps;
    let lastSequence: string | undefined;
    // Once a LATEST iterator exists, the shard's position is that moment, not "latest": an iterator
    // asked for again before the first record (after an error) must not skip what came meanwhile.
    let from = start;
    const position = (): IteratorPosition =>
      lastSequence ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lastSequence } : from;
    let iterator: string | undefined;
    while (!signal.aborted) {
      if (this.buffered() >= polling.maxBufferedRecords) {
        await this.notifier.wait(polling.pollIntervalMs);
        continue;
      }
      try {
        if (iterator === undefined) {
          iterator = await source.getIterator(this.deps.shardId, position(), signal);
          const since = this.deps.since;
          if (from.type === 'LATEST' && since !== undefined)
            from = { type: 'AT_TIMESTAMP', timestampMs: since };
        }
        const askedAt = Date.now();
        const page = await source.getRecords(iterator, GET_RECORDS_LIMIT, signal);
        progress.lastError = undefined;
        progress.millisBehindLatest = page.millisBehindLatest ?? 0;
        for (const record of page.records) {
          this.tracker.fetched(record.sequenceNumber);
          this.laneOf(record).push(record);
          lastSequence = record.sequenceNumber;
        }
        progress.recordsRead += page.records.length;
        progress.lastRead = lastSequence;
        if (page.tipAsOf !== undefined) progress.readToTipAt = page.tipAsOf;
        if (page.records.length > 0) this.notifier.notify();
        iterator = page.nextIterator;
        if (iterator === undefined) {
          this.ended = true;
          return;
        }
        if (page.records.length < GET_RECORDS_LIMIT) {
          const at = nextPollAt({
            askedAt,
            readToTip: page.tipAsOf !== undefined,
            pollIntervalMs: polling.pollIntervalMs,
            batchSize: this.deps.mapping.batchSize,
            lanes: this.lanes.map((lane) => lane.waitingBatch()),
          });
          await sleep(Math.max(0, at - Date.now()), undefined, { signal });
        }
      } catch (error) {
        if (signal.aborted) return;
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        progress.lastError = `${name}: ${message}`;
        // An expired iterator is renewed from the last record read; anything else is retried.
        iterator = undefined;
        if (name !== 'ExpiredIteratorException') {
          this.deps.log(`${this.deps.mapping.id} ${this.deps.shardId}: ${progress.lastError}`);
          await this.notifier.wait(name === 'ProvisionedThroughputExceededException' ? 1_000 : 2_000);
        }
      }
    }
  }

  private buffered(): number {
    return this.lanes.reduce((n, lane) => n + lane.queued, 0);
  }

  private laneOf(record: StreamRecord): Lane {
    if (this.lanes.length === 1) return this.lanes[0] as Lane;
    const hash = createHash('md5').update(record.partitionKey).digest().readUInt32BE(0);
    return this.lanes[hash % this.lanes.length] as Lane;
  }

  private async invoke(records: readonly StreamRecord[], tumbling: TumblingWindowFields | undefined) {
    const { progress } = this.deps;
    progress.invocations += 1;
    const last = records[records.length - 1];
    if (last) progress.iteratorAgeMs = Math.max(0, Date.now() - last.approximateArrivalTimestamp);
    const outcome = await this.deps.invoke(records, tumbling);
    if (outcome.kind === 'failure' || outcome.kind === 'not-invoked') {
      progress.failedInvocations += 1;
      this.deps.log(
        `${this.deps.mapping.id} ${this.deps.shardId}: batch of ${records.length} failed: ${outcome.reason}`,
      );
    }
    return outcome;
  }

  private async discard(batch: DiscardedBatch): Promise<void> {
    await this.deps.discard(batch);
    this.deps.progress.recordsDiscarded += batch.records.length;
    this.done(batch.records);
  }

  private done(records: readonly StreamRecord[]): void {
    const moved = this.tracker.done(records.map((r) => r.sequenceNumber));
    if (moved !== undefined) {
      this.deps.progress.checkpoint = moved;
      this.saveCheckpoint();
    }
    this.notifier.notify();
  }

  /** The shard's checkpoint as it stands, with the open tumbling window (one lane only). */
  private saveCheckpoint(): void {
    const window = this.lanes.length === 1 ? this.lanes[0]?.snapshot() : undefined;
    this.deps.checkpoints.set(this.deps.mapping.id, this.deps.shardId, {
      sequenceNumber: this.deps.progress.checkpoint,
      window,
      since: this.deps.since,
    });
  }

  private backoff(attempt: number): Promise<void> {
    return sleepBeforeRetry(attempt, this.deps.polling, this.deps.signal);
  }
}
