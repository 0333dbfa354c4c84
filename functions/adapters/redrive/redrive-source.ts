import type { KinesisStreamRecord } from 'aws-lambda';
import type { ShardInfo } from '../kinesis/shard-lineage.js';
import type { DiscardedBatch } from './on-failure-record.js';

/** What a redrive read back of a discarded range. */
export interface RedriveRead {
  /** The range's records still held, in order, as the event source mapping would have sent them. */
  readonly records: KinesisStreamRecord[];
  /** Whether the read got to the range's end: false when it gave up early (a later run reads on). */
  readonly complete: boolean;
  /**
   * Records of the range not read: after a complete read, those the stream no longer holds (past
   * its retention, gone for good); after a read cut short, at least 1.
   */
  readonly missing: number;
  /**
   * Why records are missing. @default past the stream's retention (a complete read), the read
   * stopped before the end (one cut short)
   */
  readonly why?: string;
}

/**
 * Where a redrive reads the batches the mapping gave up on back from: the pipeline's Kinesis
 * stream (kinesis-redrive-source.ts) or its Kafka topic (kafka-redrive-source.ts). The rest of the
 * redrive is the same for both: on Kafka the aggregator's shard is `<topic>-<partition>` and its
 * sequence numbers are offsets (functions/adapters/kafka/msk-event.ts).
 */
export interface RedriveSource {
  /** Why `batch` is not one of this pipeline's (another stream, topic or transport), or undefined. */
  foreign(batch: DiscardedBatch): string | undefined;
  /** Reads the batch's records back, giving up (`complete: false`) by `deadlineMs` (epoch ms). */
  read(batch: DiscardedBatch, deadlineMs: number): Promise<RedriveRead>;
  /**
   * The shards a split or merge of `shardId` (the batch's shard or a descendant of it) made: its
   * keys' windows move to them. None for an open shard, and on Kafka, whose partitions never split.
   */
  children(batch: DiscardedBatch, shardId: string): Promise<readonly ShardInfo[]>;
  /** Ends what a run opened (a Kafka consumer); the next read opens it again. */
  close(): Promise<void>;
}
