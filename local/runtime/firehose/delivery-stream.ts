import type { DeliveryStreamConfig } from './config.js';
import { type DeliveryCounters, emptyCounters } from './counters.js';
import { type ObjectSink, writeObject } from './object-sink.js';
import type { ErrorOutputType } from './prefix.js';
import { processRecord } from './record-processing.js';
import { Spool } from './spool.js';

/** Firehose's quota of active partitions per delivery stream with dynamic partitioning. */
export const MAX_ACTIVE_PARTITIONS = 500;
/** Objects written at once: enough to flush hundreds of partitions quickly, few enough for LocalStack. */
const CONCURRENT_WRITES = 4;

/** Options for tests and the runtime: a clock, S3 retry bounds. */
export interface DeliveryStreamOptions {
  readonly now?: () => number;
  /** How long a failing S3 write is retried before flush() rejects (Firehose retries for 24 h). @default 30_000 */
  readonly retryForMs?: number;
  readonly onError?: (error: unknown) => void;
  /**
   * Spool file for records accepted by `accept` (DirectPut): they survive a killed runtime and are
   * replayed by `recover()`. Without it, buffered records live in memory only.
   */
  readonly spoolFile?: string;
}

interface Buffered {
  readonly partitionKeys: Readonly<Record<string, string>>;
  readonly errorOutputType: ErrorOutputType | undefined;
  readonly payloads: Buffer[];
  bytes: number;
  /** Names the object and evaluates `!{timestamp:}`: the oldest arrival, not the first appended. */
  oldestArrivalMs: number;
  readonly openedAtMs: number;
  readonly acks: (() => void)[];
}

/**
 * One Firehose delivery stream: processes records, buffers them per partition (by SizeInMBs and
 * IntervalInSeconds), and writes each buffer as one S3 object named like Firehose's
 * `<prefix><stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`. `flush()` writes every buffer now.
 */
export class DeliveryStream {
  readonly counters: DeliveryCounters = emptyCounters();
  private readonly buffers = new Map<string, Buffered>();
  private readonly now: () => number;
  private readonly queue: Buffered[] = [];
  private readonly inflight = new Set<Promise<void>>();
  /** The first write that failed for good; sticky, so that the run's final flush() reports it. */
  private failure: unknown;
  private timer: NodeJS.Timeout | undefined;
  private readonly spool: Spool | undefined;
  private activePartitions = 0;

  constructor(
    readonly config: DeliveryStreamConfig,
    private readonly sink: ObjectSink,
    private readonly options: DeliveryStreamOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.spool = options.spoolFile === undefined ? undefined : new Spool(options.spoolFile);
  }

  /**
   * Accepts a PutRecordBatch: written to the spool (when there is one) before this returns, as
   * Firehose holds a record durably once it answered.
   */
  accept(records: readonly Buffer[], arrivalMs = this.now()): void {
    const spool = this.spool;
    if (spool === undefined) {
      for (const record of records) this.put(record, arrivalMs);
      return;
    }
    const tokens = spool.append(records, arrivalMs);
    records.forEach((record, i) => {
      const token = tokens[i] ?? -1;
      this.put(record, arrivalMs, () => spool.ack(token));
    });
  }

  /** Buffers again what an earlier, killed run had accepted but not written; returns how many. */
  recover(): number {
    const spool = this.spool;
    if (spool === undefined) return 0;
    const records = spool.recover();
    for (const record of records) {
      const token = spool.track(record.seq);
      this.put(record.data, record.arrivalMs, () => spool.ack(token));
    }
    this.counters.recordsRecovered += records.length;
    return records.length;
  }

  /**
   * Accepts one record. `onDelivered` runs once every part of it is in S3 (data or error output):
   * the Kinesis source checkpoints on it.
   */
  put(data: Buffer, arrivalMs = this.now(), onDelivered?: () => void): void {
    this.counters.recordsIn++;
    const result = processRecord(this.config, data, arrivalMs, this.now());
    if (!result.ok) {
      this.counters.errorRecords++;
      this.append(JSON.stringify(result.error), {}, 'processing-failed', arrivalMs, onDelivered);
      return;
    }
    if (result.records.length === 0) {
      onDelivered?.();
      return;
    }
    if (this.config.dynamicPartitioning && this.wouldExceedPartitions(result.records)) {
      this.counters.errorRecords++;
      const error = {
        attemptsMade: 1,
        arrivalTimestamp: arrivalMs,
        errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded',
        errorMessage: `The record would open more than ${MAX_ACTIVE_PARTITIONS} active partitions`,
        attemptEndingTimestamp: this.now(),
        rawData: data.toString('base64'),
      };
      this.append(JSON.stringify(error), {}, 'processing-failed', arrivalMs, onDelivered);
      return;
    }
    let remaining = result.records.length;
    const ack = onDelivered === undefined ? undefined : () => --remaining === 0 && onDelivered();
    for (const record of result.records)
      this.append(record.payload, record.partitionKeys, undefined, arrivalMs, ack);
  }

  private wouldExceedPartitions(
    records: readonly { partitionKeys: Readonly<Record<string, string>> }[],
  ): boolean {
    const opened = new Set(
      records.map((r) => bufferId(undefined, r.partitionKeys)).filter((id) => !this.buffers.has(id)),
    );
    return opened.size > 0 && this.activePartitions + opened.size > MAX_ACTIVE_PARTITIONS;
  }

  private append(
    payload: Buffer | string,
    partitionKeys: Readonly<Record<string, string>>,
    errorOutputType: ErrorOutputType | undefined,
    arrivalMs: number,
    ack: (() => void) | undefined,
  ): void {
    const bytes = typeof payload === 'string' ? Buffer.from(`${payload}\n`) : payload;
    const id = bufferId(errorOutputType, partitionKeys);
    let buffer = this.buffers.get(id);
    // Objects stay within SizeInMBs: a record that would overflow the buffer starts a new object.
    if (buffer !== undefined && buffer.bytes + bytes.length > this.config.bufferSizeBytes) {
      this.deliver(id, buffer);
      buffer = undefined;
    }
    if (buffer === undefined) {
      buffer = {
        partitionKeys,
        errorOutputType,
        payloads: [],
        bytes: 0,
        oldestArrivalMs: arrivalMs,
        openedAtMs: this.now(),
        acks: [],
      };
      this.buffers.set(id, buffer);
      if (errorOutputType === undefined) this.activePartitions++;
    }
    // Records reach a buffer out of arrival order (shards, Kafka partitions, a replayed spool).
    buffer.oldestArrivalMs = Math.min(buffer.oldestArrivalMs, arrivalMs);
    buffer.payloads.push(bytes);
    buffer.bytes += bytes.length;
    if (ack !== undefined) buffer.acks.push(ack);
    if (buffer.bytes >= this.config.bufferSizeBytes) this.deliver(id, buffer);
  }

  /** Writes the buffers whose IntervalInSeconds has passed; the timer calls it. */
  async tick(): Promise<void> {
    const now = this.now();
    for (const [id, buffer] of this.buffers) {
      if (now - buffer.openedAtMs >= this.config.bufferIntervalMs) this.deliver(id, buffer);
    }
    await this.drain();
  }

  /**
   * Writes every buffer now (end of a run) and waits for all writes; rejects when any write of this
   * stream failed for good, now or earlier (its records were not delivered).
   */
  async flush(): Promise<void> {
    for (const [id, buffer] of this.buffers) this.deliver(id, buffer);
    await this.drain();
    // Save the spool's watermark now: the process may exit before a scheduled save runs.
    this.spool?.save();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Starts the interval timer (checks a few times per interval, at least once a second). */
  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(50, Math.min(1000, this.config.bufferIntervalMs / 4));
    this.timer = setInterval(() => {
      // Failed writes reach onError from pump(); tick() itself does not reject.
      void this.tick();
    }, every);
    this.timer.unref();
  }

  /** Stops the timer and flushes what is buffered. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Records buffered and not yet written. */
  get bufferedRecords(): number {
    let count = 0;
    for (const buffer of this.buffers.values()) count += buffer.payloads.length;
    return count;
  }

  private async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private deliver(id: string, buffer: Buffered): void {
    this.buffers.delete(id);
    if (buffer.errorOutputType === undefined) this.activePartitions--;
    this.queue.push(buffer);
    this.pump();
  }

  private pump(): void {
    while (this.inflight.size < CONCURRENT_WRITES) {
      const buffer = this.queue.shift();
      if (buffer === undefined) return;
      const write: Promise<void> = this.write(buffer)
        .catch((error: unknown) => {
          this.failure ??= error;
          this.options.onError?.(error);
        })
        .finally(() => {
          this.inflight.delete(write);
          this.pump();
        });
      this.inflight.add(write);
    }
  }

  private async write(buffer: Buffered): Promise<void> {
    await writeObject(this.config, this.sink, this.counters, buffer, this.options.retryForMs ?? 30_000);
    for (const ack of buffer.acks) ack();
  }
}

function bufferId(
  errorOutputType: ErrorOutputType | undefined,
  partitionKeys: Readonly<Record<string, string>>,
): string {
  return `${errorOutputType ?? ''}|${JSON.stringify(partitionKeys)}`;
}
