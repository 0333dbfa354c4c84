import { StoppedError } from './errors.js';
import { type KafkaRecord, mskRecordBytes } from './msk-event.js';
import { Notifier } from './signals.js';

/** Lambda's request payload limit, less room for the event's own fields. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024 - 4096;

export interface KafkaLaneSettings {
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
}

/** What a lane needs from its mapping. */
export interface KafkaLaneHost {
  readonly signal: AbortSignal;
  /** Invokes until every record is processed or discarded; throws StoppedError on stop. */
  deliver(batch: readonly KafkaRecord[]): Promise<void>;
  /** Commits the next offset of every partition of a delivered batch. */
  commit(batch: readonly KafkaRecord[]): Promise<void>;
}

/**
 * One poller's batch stream: the records of the partitions dealt to it, in fetch order (so in
 * offset order per partition). Forms batches of up to BatchSize records and 6 MB, waiting up to
 * the batching window for a batch to fill, and delivers them one at a time: a partition's next
 * batch is not invoked before the one before it was committed.
 */
export class KafkaLane {
  private queue: KafkaRecord[] = [];
  private queuedBytes = 0;
  private firstQueuedAt: number | undefined;
  readonly notifier: Notifier;

  constructor(
    private readonly settings: KafkaLaneSettings,
    private readonly host: KafkaLaneHost,
  ) {
    this.notifier = new Notifier(host.signal);
  }

  get queued(): number {
    return this.queue.length;
  }

  push(records: readonly KafkaRecord[]): void {
    if (records.length === 0) return;
    if (this.queue.length === 0) this.firstQueuedAt = Date.now();
    for (const r of records) {
      this.queue.push(r);
      this.queuedBytes += mskRecordBytes(r);
    }
    this.notifier.notify();
  }

  /** Forgets the queued records of partitions this consumer no longer owns (a rebalance). */
  drop(keep: (partition: number) => boolean): void {
    this.queue = this.queue.filter((r) => keep(r.partition));
    this.queuedBytes = this.queue.reduce((n, r) => n + mskRecordBytes(r), 0);
    if (this.queue.length === 0) this.firstQueuedAt = undefined;
  }

  /** Runs until the runner stops; the batch in flight then ends (committed) or is abandoned. */
  async run(): Promise<void> {
    const { signal } = this.host;
    while (!signal.aborted) {
      if (this.queue.length === 0) {
        await this.notifier.wait(1_000);
        continue;
      }
      const full = this.queue.length >= this.settings.batchSize || this.queuedBytes >= MAX_EVENT_BYTES;
      const due = (this.firstQueuedAt ?? Date.now()) + this.settings.maxBatchingWindowMs;
      if (!full && Date.now() < due) {
        await this.notifier.wait(due - Date.now());
        continue;
      }
      const batch = this.take();
      try {
        await this.host.deliver(batch);
      } catch (error) {
        if (error instanceof StoppedError) return; // abandoned: not committed, read again next time
        throw error;
      }
      await this.host.commit(batch);
      this.notifier.notify(); // a fetch waiting for room may go on
    }
  }

  private take(): KafkaRecord[] {
    let count = 0;
    let bytes = 0;
    for (const next of this.queue) {
      if (count >= this.settings.batchSize) break;
      const size = mskRecordBytes(next);
      if (count > 0 && bytes + size > MAX_EVENT_BYTES) break;
      bytes += size;
      count += 1;
    }
    this.queuedBytes -= bytes;
    const batch = this.queue.splice(0, count);
    this.firstQueuedAt = this.queue.length > 0 ? Date.now() : undefined;
    return batch;
  }
}
