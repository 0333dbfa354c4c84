import {
  type _Record,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

/**
 * Everything a single-shard test stream holds, read from TRIM_HORIZON in one GetRecords (up to
 * 10,000 records: kinesis-mock answers with all of them at once, where AWS may page).
 */
export async function readSingleShard(
  kinesis: KinesisClient,
  streamName: string,
): Promise<{ readonly shardId: string; readonly records: _Record[] }> {
  const stream = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  const shardId = stream.StreamDescription?.Shards?.[0]?.ShardId ?? '';
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const out = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
  return { shardId, records: out.Records ?? [] };
}
