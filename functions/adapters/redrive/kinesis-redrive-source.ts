import type { ShardReadClient } from '../kinesis/shard-backlog.js';
import type { ShardInfo } from '../kinesis/shard-lineage.js';
import { readShardRange } from '../kinesis/shard-range.js';
import type { DiscardedBatch } from './on-failure-record.js';
import type { RedriveRead, RedriveSource } from './redrive-source.js';

/** The shards a split or merge made of a shard: its keys' state moves to them. */
export interface ShardChildren {
  childrenOf(streamArn: string, shardId: string): Promise<readonly ShardInfo[]>;
}

/** The batches of a Kinesis stream, read back with GetShardIterator and GetRecords. */
export class KinesisRedriveSource implements RedriveSource {
  constructor(
    private readonly options: {
      readonly client: ShardReadClient;
      /** The pipeline's stream: batches of another one are left alone. */
      readonly streamName: string;
      readonly shards: ShardChildren;
      /** Pause between GetRecords pages. @default 200 ms */
      readonly pagePauseMs?: number;
    },
  ) {}

  foreign(batch: DiscardedBatch): string | undefined {
    if (batch.kind !== 'kinesis') return `a Kafka batch (${batch.clusterArn}), not of a Kinesis stream`;
    if (!batch.streamArn.endsWith(`/${this.options.streamName}`)) {
      return `a batch of another stream (${batch.streamArn})`;
    }
    return undefined;
  }

  /** GetRecords pages until past the range (kinesis/shard-range.ts bounds the empty ones). */
  async read(batch: DiscardedBatch): Promise<RedriveRead> {
    if (batch.kind !== 'kinesis') throw new Error(`not a Kinesis batch: ${batch.shardId}`);
    const read = await readShardRange(this.options.client, batch, { pagePauseMs: this.options.pagePauseMs });
    return { ...read, missing: batch.size - read.records.length };
  }

  async children(batch: DiscardedBatch, shardId: string): Promise<readonly ShardInfo[]> {
    return batch.kind === 'kinesis' ? this.options.shards.childrenOf(batch.streamArn, shardId) : [];
  }

  async close(): Promise<void> {}
}
