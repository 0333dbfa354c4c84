import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { IteratorPosition, RecordsPage, ShardInfo, ShardSource } from './shard-source.js';

/**
 * The Kinesis calls of a mapping against a real stream (LocalStack locally). The client must use
 * HTTP/1.1 (`NodeHttpHandler`) against local endpoints: see TRAPS.md.
 */
export function kinesisShardSource(client: KinesisClient, streamName: string): ShardSource {
  return {
    async listShards(signal?: AbortSignal) {
      const shards: ShardInfo[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
          { abortSignal: signal },
        );
        for (const s of page.Shards ?? []) {
          if (!s.ShardId) continue;
          shards.push({
            shardId: s.ShardId,
            parentShardId: s.ParentShardId,
            adjacentParentShardId: s.AdjacentParentShardId,
          });
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return shards;
    },
    async getIterator(shardId: string, position: IteratorPosition, signal?: AbortSignal) {
      const type: ShardIteratorType = position.type;
      const out = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: type,
          StartingSequenceNumber:
            position.type === 'AFTER_SEQUENCE_NUMBER' ? position.sequenceNumber : undefined,
          Timestamp: position.type === 'AT_TIMESTAMP' ? new Date(position.timestampMs) : undefined,
        }),
        { abortSignal: signal },
      );
      if (!out.ShardIterator)
        throw new Error(`GetShardIterator for ${streamName}/${shardId} returned no iterator`);
      return out.ShardIterator;
    },
    async getRecords(iterator: string, limit: number, signal?: AbortSignal): Promise<RecordsPage> {
      const askedAt = Date.now();
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), {
        abortSignal: signal,
      });
      const records = out.Records ?? [];
      return {
        records: records.map((r) => ({
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          data: r.Data ?? new Uint8Array(),
          approximateArrivalTimestamp: r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
        })),
        nextIterator: out.NextShardIterator ?? undefined,
        millisBehindLatest: out.MillisBehindLatest,
        // A page short of the limit and nothing behind: the read got everything. (MillisBehindLatest
        // alone is not enough: records that arrived in the same millisecond leave it at 0.)
        tipAsOf: records.length < limit && (out.MillisBehindLatest ?? 0) === 0 ? askedAt : undefined,
      };
    },
  };
}
