import { randomBytes } from 'node:crypto';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { Admin, Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { maxBigInt, minBigInt } from '../bigint-order.js';
import { ConfigurationError } from '../errors.js';
import type { RangeRead } from '../kinesis/shard-range.js';
import { toStreamRecord } from './msk-event.js';

/** Where in which partition to read, and the cluster's ARN for the records' `eventSourceARN`. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  /** First and last offset, inclusive, decimal strings. */
  readonly from: string;
  readonly to: string;
  /** For the records' eventSourceARN (the cluster ARN). */
  readonly eventSourceArn: string;
}

export interface PartitionRangeRead extends RangeRead {
  /** Offsets of the range below the partition's log start offset: deleted by retention, gone for good. */
  readonly expired: number;
  /**
   * Offsets of the range at or past the partition's end offset: never written to this topic as it
   * is now (a topic deleted and created again, a log truncated by an unclean leader election).
   */
  readonly pastEnd: number;
}

const DEFAULT_READ_TIMEOUT_MS = 60_000;
/**
 * The consumer's fetch wait. Between reads every partition is paused, and kafkajs then sleeps this
 * long between fetch rounds: a read right after another waits this long for its seek to take
 * effect (kafkajs' 5 s would add that to each of a redrive's hundreds of reads; at 250 ms a read
 * of a few records took 255 ms against the local broker). The idle rounds cost no request.
 */
const MAX_WAIT_MS = 100;

/** kafkajs 2.2.4 keeps the offset a batch was fetched at on it; its types leave it out. */
type FetchedBatch = Batch & { readonly fetchedOffset: string };

/** The read under way: what it wants, how far the fetches got, what it collected. */
interface CurrentRead {
  readonly range: PartitionRange;
  readonly first: bigint;
  readonly last: bigint;
  /** The first offset no batch has covered yet. */
  next: bigint;
  readonly records: Map<bigint, KinesisStreamRecord>;
  readonly done: () => void;
  readonly fail: (error: unknown) => void;
}

/**
 * Reads offset ranges of Kafka partitions back from the topic, as Lambda event records: the records
 * a Kafka event source mapping gave up on (its on-failure record names them per partition), for a
 * redrive.
 *
 * kafkajs cannot assign partitions by hand, so the reader is the only member of a consumer group of
 * its own, made on the first read and kept: joining a group takes seconds (Kafka holds a new
 * group's first join for `group.initial.rebalance.delay.ms`, 3 s by default), and a redrive reads
 * hundreds of ranges. The group commits nothing (the position comes from `seek`), and Kafka drops an
 * empty group without offsets by itself: only kafkajs' reset after an offset deleted mid-read
 * commits one, which expires with the group. Its partitions stay paused but the one being read.
 *
 * Reads run one at a time: a read asked for while another runs waits for it. One topic per reader
 * keeps the consumer; a range of another topic replaces it (a new group, a new join).
 */
export class KafkaPartitionRangeReader {
  private admin: Admin | undefined;
  private adminConnected: Promise<void> | undefined;
  private started: { readonly consumer: Consumer; readonly topic: string } | undefined;
  private current: CurrentRead | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: {
      readonly kafka: Kafka;
      /** Consumer group ids are `${groupPrefix}-<random>`, one group per reader. */
      readonly groupPrefix: string;
      /** Give up on a read after this long (complete: false). @default 60_000 */
      readonly readTimeoutMs?: number;
    },
  ) {}

  /** Reads one range; `timeoutMs` (default: the reader's) bounds the wait for its records. */
  read(range: PartitionRange, options: { readonly timeoutMs?: number } = {}): Promise<PartitionRangeRead> {
    const timeoutMs = options.timeoutMs ?? this.options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    const read = this.queue.then(() => this.readNow(range, timeoutMs));
    this.queue = read.catch(() => {});
    return read;
  }

  /** Disconnects; a read under way ends with an error. */
  async close(): Promise<void> {
    const { started, admin } = this;
    this.started = undefined;
    this.admin = undefined;
    this.adminConnected = undefined;
    this.current?.fail(new Error('the Kafka partition range reader was closed during a read'));
    await Promise.all([started?.consumer.disconnect(), admin?.disconnect()]);
  }

  private async readNow(range: PartitionRange, timeoutMs: number): Promise<PartitionRangeRead> {
    const { topic, partition } = range;
    const { low, high } = await this.offsets(range);
    const from = BigInt(range.from);
    const to = BigInt(range.to);
    const expired = from < low ? Number(minBigInt(to, low - 1n) - from + 1n) : 0;
    const pastEnd = to >= high ? Number(to - maxBigInt(from, high) + 1n) : 0;
    const first = maxBigInt(from, low);
    const last = minBigInt(to, high - 1n);
    if (first > last) return { records: [], complete: true, expired, pastEnd };

    const consumer = await this.consumerOf(topic);
    const records = new Map<bigint, KinesisStreamRecord>();
    let timer: NodeJS.Timeout | undefined;
    try {
      const complete = await new Promise<boolean>((resolve, reject) => {
        this.current = { range, first, last, next: first, records, done: () => resolve(true), fail: reject };
        timer = setTimeout(() => resolve(false), timeoutMs);
        consumer.seek({ topic, partition, offset: String(first) });
        consumer.resume([{ topic, partitions: [partition] }]);
      });
      const sorted = [...records].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, record]) => record);
      return { records: sorted, complete, expired, pastEnd };
    } finally {
      clearTimeout(timer);
      this.current = undefined;
      if (this.started?.consumer === consumer) consumer.pause([{ topic }]);
    }
  }

  /** The partition's log start offset and end offset (the next offset to be written). */
  private async offsets(range: PartitionRange): Promise<{ low: bigint; high: bigint }> {
    this.admin ??= this.options.kafka.admin();
    const admin = this.admin;
    this.adminConnected ??= admin.connect().catch((error: unknown) => {
      this.adminConnected = undefined;
      throw error;
    });
    await this.adminConnected;
    const offsets = await admin.fetchTopicOffsets(range.topic).catch((error: unknown) => {
      // kafkajs retries a missing topic for about 10 s, then names neither it nor the partition.
      if (causes(error).some((e) => (e as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION')) {
        throw new ConfigurationError(
          `topic ${range.topic} does not exist (asked for partition ${range.partition})`,
          {
            cause: error,
          },
        );
      }
      throw error;
    });
    const found = offsets.find((o) => o.partition === range.partition);
    if (!found) {
      throw new ConfigurationError(
        `topic ${range.topic} has no partition ${range.partition} (it has ${offsets.length})`,
      );
    }
    return { low: BigInt(found.low), high: BigInt(found.high) };
  }

  /** The reader's consumer, subscribed to the topic, joined, every partition paused. */
  private async consumerOf(topic: string): Promise<Consumer> {
    if (this.started?.topic === topic) return this.started.consumer;
    if (this.started) {
      const { consumer } = this.started;
      this.started = undefined;
      await consumer.disconnect();
    }
    const { kafka, groupPrefix } = this.options;
    const consumer = kafka.consumer({
      groupId: `${groupPrefix}-${randomBytes(8).toString('hex')}`,
      maxWaitTimeInMs: MAX_WAIT_MS,
      allowAutoTopicCreation: false,
    });
    // On every join (the first, a rebalance, kafkajs' restart after a crash) the position and the
    // pauses may be new: pause again, and put a read under way back where its fetches got to. Seek
    // needs `run` first (kafkajs throws before) and applies only to assigned partitions; GROUP_JOIN
    // comes after the assignment and before kafkajs fetches, so nothing is fetched unpaused.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      consumer.pause([{ topic }]);
      const read = this.current;
      if (read?.range.topic !== topic) return;
      consumer.seek({ topic, partition: read.range.partition, offset: String(read.next) });
      consumer.resume([{ topic, partitions: [read.range.partition] }]);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      // Stopped for good: the next read makes a new consumer.
      if (this.started?.consumer === consumer) this.started = undefined;
      this.current?.fail(payload.error);
    });
    this.started = { consumer, topic };
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      // Resolves once joined (kafkajs' run awaits the join). autoCommit off: no offsets committed.
      await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => this.take(batch) });
      if (this.started?.consumer !== consumer) throw new Error(`the consumer of ${topic} could not start`);
      return consumer;
    } catch (error) {
      if (this.started?.consumer === consumer) this.started = undefined;
      await consumer.disconnect().catch(() => {});
      throw error;
    }
  }

  /**
   * A fetch at offset F returns every record from F on, up to the batch's last offset: a batch
   * fetched at or before the first offset not yet covered moves the read on, whatever seek it came
   * from. Any other batch (another partition, a fetch from before the seek ahead of the range) is
   * left alone, so a batch still in flight from an earlier read cannot leave a hole. Offsets with
   * no record (compacted, transaction markers) are covered by a later record's batch: kafkajs hands
   * over no batch without records, so a range whose last offset has none (a `to` past the end of a
   * log that ends with a transaction marker) reads until the timeout and comes back incomplete.
   */
  private take(batch: Batch): void {
    const read = this.current;
    if (!read || batch.topic !== read.range.topic || batch.partition !== read.range.partition) return;
    if (BigInt((batch as FetchedBatch).fetchedOffset) > read.next) return;
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset >= read.first && offset <= read.last && !read.records.has(offset)) {
        read.records.set(offset, streamRecordOf(read.range, message));
      }
    }
    read.next = maxBigInt(read.next, BigInt(batch.lastOffset()) + 1n);
    if (read.next > read.last) read.done();
  }
}

/** A kafkajs message as the MSK event record Lambda would have sent, mapped like the aggregator's. */
function streamRecordOf(range: PartitionRange, message: KafkaMessage): KinesisStreamRecord {
  return toStreamRecord(
    {
      topic: range.topic,
      partition: range.partition,
      offset: Number(message.offset),
      timestamp: Number(message.timestamp),
      key: message.key?.toString('base64') ?? null,
      value: message.value?.toString('base64') ?? null,
    },
    range.eventSourceArn,
  );
}

/** The error and the errors it was caused by. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e instanceof Error && chain.length < 10; e = e.cause) chain.push(e);
  return chain;
}
