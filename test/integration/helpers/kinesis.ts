import {
  type _Record,
  CreateStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { pollUntil } from './poll.js';

/** Creates a provisioned test stream and waits until it is ACTIVE; returns its ARN. */
export async function createActiveStream(
  kinesis: KinesisClient,
  streamName: string,
  shardCount: number,
): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  const summary = await pollUntil(
    () => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName })),
    (d) => d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
    { timeoutMs: 60_000 },
  );
  return summary.StreamDescriptionSummary?.StreamARN ?? '';
}

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
