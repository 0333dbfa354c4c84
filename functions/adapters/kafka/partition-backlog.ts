import type { Admin } from 'kafkajs';
import type { StreamBacklog } from '../aggregator/stream-backlog.js';
import { ConfigurationError } from '../errors.js';
import type { RecordPosition } from '../kinesis/decode.js';

/** The calls the backlog check makes of a kafkajs admin client (ListOffsets, by end and by time). */
export type OffsetsAdmin = Pick<Admin, 'connect' | 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp'>;

/**
 * The backlog of a Kafka partition (the aggregator's shard `<topic>-<partition>`, its checkpoint
 * position the last applied offset): the partition's end offset against the checkpoint, and against
 * the first offset with a timestamp at or after `now - maxRecordAge` (Kafka's ListOffsets by
 * timestamp; the mapping judges record age by the same timestamps). That is the earliest such
 * offset: where timestamps go back and forth, an old record after the checkpoint may count as
 * undelivered, which only makes the flush wait, never flush early.
 */
export class KafkaPartitionBacklog implements StreamBacklog {
  private connected: Promise<void> | undefined;

  constructor(
    private readonly options: {
      readonly admin: OffsetsAdmin;
      readonly topic: string;
      /** The event source mapping's MaximumRecordAgeInSeconds, in ms (Infinity: no maximum). */
      readonly maxRecordAgeMs: number;
    },
  ) {}

  async hasUndelivered(shard: string, position: RecordPosition | null, now: number): Promise<boolean> {
    const { admin, topic, maxRecordAgeMs } = this.options;
    const partition = this.partitionOf(shard);
    // Connected once and kept: kafkajs reconnects a dropped connection on the next request.
    this.connected ??= admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    const ends = await admin.fetchTopicOffsets(topic);
    const end = ends.find((o) => o.partition === partition);
    if (!end) throw new ConfigurationError(`topic ${topic} has no partition ${partition} (shard ${shard})`);
    const next = position === null ? BigInt(end.low) : BigInt(position.sequenceNumber) + 1n;
    if (BigInt(end.high) <= next) return false;
    if (!Number.isFinite(maxRecordAgeMs)) return true;
    // kafkajs answers the end offset for a partition with nothing written since then.
    const recent = await admin.fetchTopicOffsetsByTimestamp(topic, now - maxRecordAgeMs);
    const firstRecent = BigInt(recent.find((o) => o.partition === partition)?.offset ?? end.high);
    return BigInt(end.high) > (firstRecent > next ? firstRecent : next);
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
