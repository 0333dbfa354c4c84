import {
  ExpiredIteratorException,
  type KinesisClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { deaggregateSync } from 'aws-kinesis-agg';
import type { IteratorPosition, ShardInfo, ShardSource, StreamRecord } from '../kinesis/index.js';
import { kinesisShardSource } from '../kinesis/index.js';
import { AckQueue } from './ack-queue.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { DeliveryStream } from './delivery-stream.js';

/** GetRecords' maximum page. */
const GET_RECORDS_LIMIT = 10_000;

/** Settings of the Kinesis reader; the defaults suit LocalStack's kinesis-mock. */
export interface KinesisSourceOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /**
   * The reads (the event source mapping's ShardSource): shared with the mapping by the runtime, so
   * each record is read from kinesis-mock once. @default the stream read directly through `client`
   */
  readonly shardSource?: ShardSource;
  readonly delivery: DeliveryStream;
  /** JSON file in the run folder holding the per-shard positions. */
  readonly checkpointFile: string;
  /**
   * The least time between two GetRecords on a shard (unless a page came back full). Firehose reads
   * each shard about once a second; every read costs LocalStack's kinesis-mock, which the event
   * source mappings and the producer share (startFirehoseDelivery's default says how often).
   */
  readonly pollIntervalMs: number;
  /** How often new shards are looked for (resharding). @default 10_000 */
  readonly shardRefreshMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Where a shard without a checkpoint is read from. @default 'TRIM_HORIZON' */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
}

// KPL aggregated records start with these magic bytes; Firehose de-aggregates them itself.
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/**
 * Reads a Kinesis stream for a KinesisStreamAsSource delivery stream: every shard from TRIM_HORIZON
 * (or after its checkpoint), KPL records de-aggregated, each record's ApproximateArrivalTimestamp as
 * its arrival time. A shard's checkpoint only moves past records that are in S3, so a killed runtime
 * resumes without loss (records after the checkpoint are delivered again: at least once, like Firehose).
 */
export class KinesisSource {
  private readonly checkpoints: CheckpointStore;
  private readonly readers = new Map<string, Promise<void>>();
  private readonly finished = new Set<string>();
  private readonly pending = new Map<string, AckQueue<string>>();
  private stopped = false;
  private discovery: Promise<void> | undefined;
  /** How many times the shards were listed: readToTip waits for a listing made after its call. */
  private listings = 0;
  private saveTimer: NodeJS.Timeout | undefined;
  /** Per shard, when the last read that reached the shard's tip was sent (the page's tipAsOf). */
  private readonly tipReadAt = new Map<string, number>();
  /** Bumped by readToTip: a sleeping reader wakes and reads at once. */
  private wakeups = 0;
  /** readToTip calls waiting: readers follow each page at once until they see an empty one. */
  private tipWaiters = 0;
  /** Records read from Kinesis (before de-aggregation). */
  recordsRead = 0;

  private readonly source: ShardSource;

  constructor(private readonly options: KinesisSourceOptions) {
    this.checkpoints = new CheckpointStore(options.checkpointFile);
    this.source = options.shardSource ?? kinesisShardSource(options.client, options.streamName);
  }

  /** Starts reading every shard, and looks for new shards from time to time. */
  start(): void {
    this.discovery = this.discover();
    this.saveTimer = setInterval(() => this.checkpoints.save(), 500);
    this.saveTimer.unref();
  }

  /** Stops reading (buffers are left to the delivery stream's flush) and saves the checkpoints. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.discovery;
    await Promise.allSettled(this.readers.values());
    clearInterval(this.saveTimer);
    this.checkpoints.save();
  }

  /**
   * Reads every shard up to where its tip stood at the call, now rather than at the next poll: at the
   * end of a run, what was produced is handed to the delivery stream before its final flush. False
   * when a shard did not get there within `timeoutMs` (its reads keep failing).
   */
  async readToTip(timeoutMs = 30_000): Promise<boolean> {
    const since = Date.now();
    // A listing finished after this call (the call wakes a sleeping discovery): every shard has its
    // reader, even right after start, when no shard has been listed yet.
    const listed = this.listings + 1;
    this.wakeups += 1;
    this.tipWaiters += 1;
    const reached = () =>
      this.listings >= listed &&
      [...this.readers.keys()].every(
        (id) => this.finished.has(id) || (this.tipReadAt.get(id) ?? Number.NEGATIVE_INFINITY) >= since,
      );
    try {
      while (!reached()) {
        if (this.stopped || Date.now() - since > timeoutMs) return false;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return true;
    } finally {
      this.tipWaiters -= 1;
    }
  }

  /** The committed positions (everything up to them is in S3). */
  positions(): Readonly<Record<string, string>> {
    return this.checkpoints.snapshot();
  }

  /** Saves the committed positions now (after a flush, so a restart resumes exactly there). */
  saveCheckpoints(): void {
    this.checkpoints.save();
  }

  private async discover(): Promise<void> {
    const refresh = this.options.shardRefreshMs ?? 10_000;
    while (!this.stopped) {
      try {
        const shards: ShardInfo[] = await this.source.listShards();
        const ids = new Set(shards.map((s) => s.shardId));
        for (const shard of shards) {
          const id = shard.shardId;
          const parent = shard.parentShardId;
          // A child shard is read once its parent is done, keeping per-key order across resharding.
          const parentPending = parent !== undefined && ids.has(parent) && !this.finished.has(parent);
          if (!this.readers.has(id) && !parentPending) this.readers.set(id, this.readShard(id));
        }
        this.listings += 1;
      } catch (error) {
        this.options.onError?.(error);
      }
      await this.sleepUnlessStopped(refresh);
    }
  }

  private iterator(shardId: string, after: string | undefined): Promise<string> {
    const position: IteratorPosition =
      after === undefined
        ? { type: this.options.startingPosition ?? 'TRIM_HORIZON' }
        : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: after };
    return this.source.getIterator(shardId, position);
  }

  private async readShard(shardId: string): Promise<void> {
    const pause = this.options.pollIntervalMs;
    // Firehose calls GetRecords once a second per shard; only a full page (more is waiting) is
    // followed at once, within Kinesis' 5 reads a second per shard.
    const fullPagePause = Math.min(pause, 200);
    let lastRead = this.checkpoints.get(shardId);
    let iterator: string | undefined;
    let backoff = pause;
    while (!this.stopped) {
      try {
        iterator ??= await this.iterator(shardId, lastRead);
        const askedAt = Date.now();
        const wakeupsSeen = this.wakeups;
        const page = await this.source.getRecords(iterator, GET_RECORDS_LIMIT);
        const records = page.records;
        for (const record of records) this.deliver(shardId, record);
        lastRead = records.at(-1)?.sequenceNumber ?? lastRead;
        if (page.tipAsOf !== undefined) this.tipReadAt.set(shardId, page.tipAsOf);
        iterator = page.nextIterator;
        backoff = pause;
        if (iterator === undefined) break; // the shard was closed by resharding and is fully read
        await this.sleepUnlessStopped(
          records.length === GET_RECORDS_LIMIT || this.tipWaiters > 0
            ? fullPagePause
            : Math.max(0, askedAt + pause - Date.now()),
          wakeupsSeen,
        );
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          iterator = undefined;
          continue;
        }
        if (error instanceof ResourceNotFoundException) {
          this.options.onError?.(
            new Error(
              `Kinesis stream ${this.options.streamName} (shard ${shardId}) does not exist (was LocalStack restarted?)`,
              { cause: error },
            ),
          );
        } else if (!(error instanceof ProvisionedThroughputExceededException)) this.options.onError?.(error);
        await this.sleepUnlessStopped(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
    if (iterator === undefined && !this.stopped) this.finished.add(shardId);
  }

  private deliver(shardId: string, record: StreamRecord): void {
    this.recordsRead++;
    let queue = this.pending.get(shardId);
    if (queue === undefined) {
      queue = new AckQueue<string>();
      this.pending.set(shardId, queue);
    }
    const token = queue.push(record.sequenceNumber);
    const arrival = record.approximateArrivalTimestamp;
    const parts = userRecords(record);
    let remaining = parts.length;
    // The checkpoint moves past the longest prefix of delivered records (objects finish out of order).
    const onDelivered = () => {
      if (--remaining > 0) return;
      const last = queue.ack(token);
      if (last !== undefined) this.checkpoints.set(shardId, last);
    };
    if (parts.length === 0) onDelivered();
    for (const data of parts) this.options.delivery.put(data, arrival, onDelivered);
  }

  /** Sleeps `ms`, less when stopped or when readToTip was called after `wakeupsSeen` was read. */
  private async sleepUnlessStopped(ms: number, wakeupsSeen = this.wakeups): Promise<void> {
    const step = 50;
    for (let waited = 0; waited < ms && !this.stopped && this.wakeups === wakeupsSeen; waited += step) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(step, ms - waited)));
    }
  }
}

/** The user records in one Kinesis record: itself, or the KPL-aggregated records inside it. */
function userRecords(record: StreamRecord): Buffer[] {
  const data = Buffer.from(record.data);
  if (data.length < KPL_MAGIC.length || !data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) return [data];
  let parts: Buffer[] = [data];
  deaggregateSync(
    {
      data: data.toString('base64'),
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp / 1000,
      kinesisSchemaVersion: '1.0',
    },
    true,
    (error, users) => {
      // A record with the magic bytes but a bad checksum is delivered as it is (what KCL does too).
      if (!error && users !== undefined) parts = users.map((u) => Buffer.from(u.data, 'base64'));
    },
  );
  return parts;
}
