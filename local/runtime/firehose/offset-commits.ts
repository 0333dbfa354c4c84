import { AckQueue } from './ack-queue.js';

/** One partition's offset to commit: the next offset to read, as Kafka commits it. */
export interface PartitionOffset {
  readonly partition: number;
  readonly offset: string;
}

/**
 * The offsets a Kafka-sourced delivery stream may commit: per partition, the offset after the
 * longest prefix of read records that are in S3 (objects of different buffers finish out of
 * order). The Kafka counterpart of the Kinesis source's checkpoints.
 */
export class OffsetCommits {
  private readonly queues = new Map<number, AckQueue<bigint>>();
  /** Next offset to read, per partition, up to which every record is in S3. */
  private readonly delivered = new Map<number, bigint>();
  private readonly committed = new Map<number, bigint>();

  /** Tracks one record read; the callback returned marks it as in S3. */
  track(partition: number, offset: string): () => void {
    let queue = this.queues.get(partition);
    if (queue === undefined) {
      queue = new AckQueue<bigint>();
      this.queues.set(partition, queue);
    }
    const token = queue.push(BigInt(offset));
    return () => {
      const last = queue.ack(token);
      // Never backwards: records read again after a rebalance are acknowledged a second time.
      if (last !== undefined && last + 1n > (this.delivered.get(partition) ?? -1n)) {
        this.delivered.set(partition, last + 1n);
      }
    };
  }

  /** Offsets delivered further than last committed: what the next commit sends. */
  pending(): PartitionOffset[] {
    const out: PartitionOffset[] = [];
    for (const [partition, next] of this.delivered) {
      if (next > (this.committed.get(partition) ?? -1n)) out.push({ partition, offset: next.toString() });
    }
    return out;
  }

  /** Records offsets the broker accepted. */
  markCommitted(offsets: readonly PartitionOffset[]): void {
    for (const { partition, offset } of offsets) {
      const value = BigInt(offset);
      if (value > (this.committed.get(partition) ?? -1n)) this.committed.set(partition, value);
    }
  }

  /** Records read and not yet in S3. */
  get unacknowledged(): number {
    let count = 0;
    for (const queue of this.queues.values()) count += queue.size;
    return count;
  }
}
