import type { StreamRecord } from '../kinesis/index.js';
import { type DeliveryPolicy, deliverBatch } from './batch-delivery.js';
import type { SavedWindow } from './checkpoint-store.js';
import { StoppedError } from './errors.js';
import {
  type EventSourceContext,
  eventRecordBytes,
  type TumblingWindowFields,
  windowTimestamp,
} from './kinesis-event.js';
import type { DiscardedBatch } from './on-failure.js';
import type { WaitingBatch } from './poll-pacing.js';
import type { InvocationOutcome } from './response.js';
import type { Notifier } from './signals.js';

/** Lambda's request payload limit: a batch is cut before its event would exceed it. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/**
 * The event's own fields around `Records` (`{"Records":[...]}`; with a tumbling window its bounds,
 * flags, shardId and eventSourceARN).
 */
const EVENT_FIELDS_BYTES = 1024;
/** Lambda ends a tumbling window early when its state grows past 1 MB. */
const MAX_WINDOW_STATE_BYTES = 1024 * 1024;

export interface LaneSettings extends DeliveryPolicy {
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  readonly tumblingWindowSeconds: number;
}

/** What a lane needs from its shard consumer. */
export interface LaneHost {
  readonly source: EventSourceContext;
  readonly notifier: Notifier;
  readonly signal: AbortSignal;
  /** True once a closed shard was read to its end: no record will come any more. */
  shardEnded(): boolean;
  /** The last time the consumer had read everything the shard held (for closing tumbling windows). */
  caughtUpAt(): number;
  invoke(
    records: readonly StreamRecord[],
    tumbling: TumblingWindowFields | undefined,
  ): Promise<InvocationOutcome>;
  discard(batch: DiscardedBatch): Promise<void>;
  processed(records: readonly StreamRecord[]): void;
  /** A window's final invocation succeeded: its state is gone (or fresh), and so in the checkpoint. */
  windowClosed(): void;
  backoff(attempt: number): Promise<void>;
}

interface OpenWindow {
  readonly startMs: number;
  readonly endMs: number;
  state: Readonly<Record<string, unknown>>;
}

/**
 * One of a shard's ParallelizationFactor concurrent batch streams: the records of the partition
 * keys hashed to it, in shard order. Forms batches (BatchSize, MaximumBatchingWindowInSeconds,
 * 6 MB), delivers them one at a time, and with TumblingWindowInSeconds keeps the window state
 * between invocations and makes the final invocation of each window.
 */
export class Lane {
  private readonly queue: StreamRecord[] = [];
  private firstQueuedAt: number | undefined;
  private window: OpenWindow | undefined;

  constructor(
    private readonly settings: LaneSettings,
    private readonly host: LaneHost,
    restored?: SavedWindow,
  ) {
    this.window = restored && settings.tumblingWindowSeconds > 0 ? { ...restored } : undefined;
  }

  /** The open tumbling window and its state, for the checkpoint. */
  snapshot(): SavedWindow | undefined {
    return this.window ? { ...this.window, state: { ...this.window.state } } : undefined;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The queued batch while it only waits for its window to end or its batch to fill (see nextPollAt). */
  waitingBatch(): WaitingBatch | undefined {
    const first = this.queue[0];
    const { batchSize, maxBatchingWindowMs, tumblingWindowSeconds } = this.settings;
    if (!first || this.queue.length >= batchSize || tumblingWindowSeconds > 0) return undefined;
    if (maxBatchingWindowMs === 0 || this.firstQueuedAt === undefined) return undefined;
    return {
      dueAt: this.firstQueuedAt + maxBatchingWindowMs,
      queued: this.queue.length,
      firstArrivalMs: first.approximateArrivalTimestamp,
    };
  }

  push(record: StreamRecord): void {
    if (this.queue.length === 0) this.firstQueuedAt = Date.now();
    this.queue.push(record);
  }

  /** Runs until the shard ended and everything was delivered, or the runner stops. */
  async run(): Promise<void> {
    const { notifier, signal } = this.host;
    try {
      while (!signal.aborted) {
        const first = this.queue[0];
        if (!first) {
          if (this.window && (this.host.shardEnded() || this.host.caughtUpAt() >= this.window.endMs)) {
            await this.finalInvoke(false);
            continue;
          }
          if (this.host.shardEnded()) return;
          await notifier.wait(this.window ? Math.max(50, this.window.endMs - Date.now()) : 1_000);
          continue;
        }
        if (this.queue.length < this.settings.batchSize && !this.host.shardEnded()) {
          const due = (this.firstQueuedAt ?? Date.now()) + this.settings.maxBatchingWindowMs;
          if (Date.now() < due) {
            await notifier.wait(due - Date.now());
            continue;
          }
        }
        if (this.settings.tumblingWindowSeconds > 0) {
          const startMs = this.windowStart(first);
          if (this.window && this.window.startMs !== startMs) {
            await this.finalInvoke(false);
            continue;
          }
          this.window ??= { startMs, endMs: startMs + this.settings.tumblingWindowSeconds * 1000, state: {} };
        }
        const batch = this.takeBatch();
        await deliverBatch(batch, this.settings, {
          invoke: async (records) => {
            const outcome = await this.host.invoke(records, this.tumblingFields(false, false));
            if ((outcome.kind === 'success' || outcome.kind === 'partial') && outcome.state && this.window)
              this.window.state = outcome.state;
            return outcome;
          },
          discard: (b) => this.host.discard(b),
          processed: (records) => this.host.processed(records),
          now: () => Date.now(),
          backoff: (attempt) => this.host.backoff(attempt),
          stopped: () => signal.aborted,
        });
        if (this.window && Buffer.byteLength(JSON.stringify(this.window.state)) > MAX_WINDOW_STATE_BYTES) {
          await this.finalInvoke(true);
        }
      }
    } catch (error) {
      if (!(error instanceof StoppedError)) throw error;
    }
  }

  private windowStart(record: StreamRecord): number {
    const size = this.settings.tumblingWindowSeconds * 1000;
    return Math.floor(record.approximateArrivalTimestamp / size) * size;
  }

  /** Up to BatchSize records of one tumbling window, cut before the event would pass 6 MB. */
  private takeBatch(): StreamRecord[] {
    const batch: StreamRecord[] = [];
    // The tumbling window's state travels in the event too (up to 1 MB before Lambda ends the window).
    let bytes = EVENT_FIELDS_BYTES + (this.window ? Buffer.byteLength(JSON.stringify(this.window.state)) : 0);
    const start = this.window?.startMs;
    while (batch.length < this.settings.batchSize) {
      const next = this.queue[0];
      if (!next || (start !== undefined && this.windowStart(next) !== start)) break;
      const size = eventRecordBytes(next, this.host.source);
      if (batch.length > 0 && bytes + size > MAX_EVENT_BYTES) break;
      bytes += size;
      batch.push(next);
      this.queue.shift();
    }
    this.firstQueuedAt = this.queue.length > 0 ? Date.now() : undefined;
    return batch;
  }

  private tumblingFields(final: boolean, terminatedEarly: boolean): TumblingWindowFields | undefined {
    if (!this.window) return undefined;
    return {
      window: { start: windowTimestamp(this.window.startMs), end: windowTimestamp(this.window.endMs) },
      state: this.window.state,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: terminatedEarly,
    };
  }

  /**
   * The window's last invocation: no records, the accumulated state, isFinalInvokeForWindow.
   * Lambda retries it until it succeeds (the shard waits); then the state is dropped. A window
   * ended early (state over 1 MB) continues with a fresh state.
   */
  private async finalInvoke(terminatedEarly: boolean): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.host.signal.aborted) throw new StoppedError('stopping');
      const outcome = await this.host.invoke([], this.tumblingFields(true, terminatedEarly));
      if (outcome.kind === 'success' || outcome.kind === 'partial') break;
      await this.host.backoff(attempt);
    }
    if (terminatedEarly && this.window) this.window.state = {};
    else this.window = undefined;
    // Else a restart would restore the finished window and make its final invocation again.
    this.host.windowClosed();
  }
}
