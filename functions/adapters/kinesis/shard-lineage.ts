import { createHash } from 'node:crypto';
import { ListShardsCommand, type ListShardsCommandOutput } from '@aws-sdk/client-kinesis';

/** What the aggregator needs to know of a shard to take over its keys after a reshard. */
export interface ShardInfo {
  readonly shardId: string;
  /** The shard it was split from, or the first of the two it was merged from. */
  readonly parentShardId?: string;
  /** The second shard of a merge. */
  readonly adjacentParentShardId?: string;
  /** The partition-key hashes it receives, inclusive. */
  readonly hashKeyRange: { readonly start: bigint; readonly end: bigint };
}

/** The shards of a stream, as ListShards describes them (closed parents included, within retention). */
export interface ShardLineage {
  /** The shard of that stream, or undefined when the stream does not list it. */
  describe(streamArn: string, shardId: string): Promise<ShardInfo | undefined>;
}

/** The ListShards call a lineage makes (a real KinesisClient, or a stub). */
export interface ListShardsClient {
  send(command: ListShardsCommand): Promise<ListShardsCommandOutput>;
}

/** The 128-bit hash Kinesis routes a partition key by: MD5 of its UTF-8 bytes, as an unsigned integer. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** Whether a partition key's records go to the shard with this hash key range. */
export function routesTo(partitionKey: string, shard: ShardInfo): boolean {
  const hash = hashKeyOf(partitionKey);
  return hash >= shard.hashKeyRange.start && hash <= shard.hashKeyRange.end;
}

/**
 * ListShards, cached per stream for the container's life: a shard's lineage never changes, and
 * an unknown shard (created after the cache was filled) makes it list again.
 */
export class KinesisShardLineage implements ShardLineage {
  private readonly byStream = new Map<string, Map<string, ShardInfo>>();

  constructor(private readonly client: ListShardsClient) {}

  async describe(streamArn: string, shardId: string): Promise<ShardInfo | undefined> {
    const known = this.byStream.get(streamArn)?.get(shardId);
    if (known) return known;
    let shards: Map<string, ShardInfo>;
    try {
      shards = await this.list(streamArn);
    } catch (error) {
      // No such stream (an event written by hand, AWS's sample events): no lineage to follow.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
    this.byStream.set(streamArn, shards);
    return shards.get(shardId);
  }

  /**
   * The shards a split or merge of this one made (they name it as a parent): none while it is open.
   * Lists afresh: children appear after the cache was filled.
   */
  async childrenOf(streamArn: string, shardId: string): Promise<ShardInfo[]> {
    const shards = await this.list(streamArn);
    this.byStream.set(streamArn, shards);
    return [...shards.values()].filter(
      (shard) => shard.parentShardId === shardId || shard.adjacentParentShardId === shardId,
    );
  }

  private async list(streamArn: string): Promise<Map<string, ShardInfo>> {
    const shards = new Map<string, ShardInfo>();
    let nextToken: string | undefined;
    do {
      // NextToken and StreamARN must not be given together.
      const page = await this.client.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamARN: streamArn }),
      );
      for (const shard of page.Shards ?? []) {
        if (!shard.ShardId || !shard.HashKeyRange?.StartingHashKey || !shard.HashKeyRange.EndingHashKey)
          continue;
        shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          adjacentParentShardId: shard.AdjacentParentShardId,
          hashKeyRange: {
            start: BigInt(shard.HashKeyRange.StartingHashKey),
            end: BigInt(shard.HashKeyRange.EndingHashKey),
          },
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return shards;
  }
}
