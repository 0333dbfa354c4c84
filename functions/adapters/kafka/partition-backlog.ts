import type { Admin } from 'kafkajs';
import type { StreamBacklog } from '../aggregator/stream-backlog.js';
import { maxBigInt } from '../bigint-order.js';
import { ConfigurationError } from '../errors.js';
import type { RecordPosition } from '../kinesis/decode.js';

/** How long a failed connect answers for the next checks before one tries again. */
const RECONNECT_AFTER_MS = 30_000;

/** The calls the backlog check makes of a kafkajs admin client (ListOffsets, by end and by time). */
export type OffsetsAdmin = Pick<
  Admin,
  'connect' | 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp' | 'fetchOffsets'
>;

/**
 * The backlog of a Kafka partition (the aggregator's shard `<topic>-<partition>`, its checkpoint
 * position the last applied offset): the partition's end offset against the checkpoint, and against
 * the first offset with a timestamp at or after `now - maxRecordAge` (Kafka's ListOffsets by
 * timestamp; the mapping judges record age by the same timestamps). That is the earliest such
 * offset: where timestamps go back and forth, an old record after the checkpoint may count as
 * undelivered, which only makes the flush wait, never flush early.
 *
 * With the mapping's consumer group, its committed offset counts too: the mapping commits past the
 * checkpoint only over records it gave up on (sent to its on-failure destination after its
 * retries), which it will not deliver, so they must not keep the partition's windows open.
 */
export class KafkaPartitionBacklog implements StreamBacklog {
  private connected: Promise<void> | undefined;
  private failed: { readonly error: unknown; readonly at: number } | undefined;

  constructor(
    private readonly options: {
      readonly admin: OffsetsAdmin;
      readonly topic: string;
      /** The event source mapping's MaximumRecordAgeInSeconds, in ms (Infinity: no maximum). */
      readonly maxRecordAgeMs: number;
      /** The event source mapping's consumer group. @default none (its commits are not read) */
      readonly groupId?: string;
    },
  ) {}

  async hasUndelivered(shard: string, position: RecordPosition | null, now: number): Promise<boolean> {
    const { admin, topic, maxRecordAgeMs } = this.options;
    const partition = this.partitionOf(shard);
    await this.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const end = ends.find((o) => o.partition === partition);
    if (!end) throw new ConfigurationError(`topic ${topic} has no partition ${partition} (shard ${shard})`);
    const applied = position === null ? BigInt(end.low) : BigInt(position.sequenceNumber) + 1n;
    const next = maxBigInt(applied, await this.committed(partition));
    if (BigInt(end.high) <= next) return false;
    if (!Number.isFinite(maxRecordAgeMs)) return true;
    // kafkajs answers the end offset for a partition with nothing written since then.
    const recent = await admin.fetchTopicOffsetsByTimestamp(topic, now - maxRecordAgeMs);
    const firstRecent = BigInt(recent.find((o) => o.partition === partition)?.offset ?? end.high);
    return BigInt(end.high) > maxBigInt(next, firstRecent);
  }

  /** The mapping group's next offset to read in the partition (-1n: none committed, or no group). */
  private async committed(partition: number): Promise<bigint> {
    const { admin, topic, groupId } = this.options;
    if (groupId === undefined) return -1n;
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return BigInt(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
  }

  /**
   * Connected once and kept: kafkajs reconnects a dropped connection on the next request. A failed
   * connect (after kafkajs' own retries, some seconds) fails the next checks at once for a while,
   * so a flush run with several partitions ends well within its timeout.
   */
  private async connect(): Promise<void> {
    if (this.failed && Date.now() - this.failed.at < RECONNECT_AFTER_MS) throw this.failed.error;
    this.connected ??= this.options.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      this.failed = { error, at: Date.now() };
      throw error;
    });
    await this.connected;
    this.failed = undefined;
  }

  private partitionOf(shard: string): number {
    const prefix = `${this.options.topic}-`;
    const partition = shard.startsWith(prefix) ? shard.slice(prefix.length) : '';
    if (!/^\d+$/.test(partition)) {
      throw new ConfigurationError(
        `shard ${JSON.stringify(shard)} is not a partition of topic ${this.options.topic} (<topic>-<partition>)`,
      );
    }
    return Number(partition);
  }
}
