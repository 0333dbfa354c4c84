import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';

/**
 * Reads every shard of a stream to its tip, in order, handing each record to `onRecord`. A shard
 * is read from the trim horizon, or after the sequence number `after` gives for it.
 */
export async function forEachStreamRecord(
  kinesis: KinesisClient,
  streamName: string,
  onRecord: (shardId: string, record: _Record) => void,
  after: Readonly<Record<string, string>> = {},
): Promise<void> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  for (const shard of shards) {
    const shardId = shard.ShardId ?? '';
    const from = after[shardId];
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ...(from
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: from }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = out.Records ?? [];
      for (const record of records) onRecord(shardId, record);
      if (records.length === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
      iterator = out.NextShardIterator;
    }
  }
}
