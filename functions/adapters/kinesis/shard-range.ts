import { setTimeout as sleep } from 'node:timers/promises';
import { type _Record, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { ShardReadClient } from './shard-backlog.js';

/** Where in which shard to read, and the stream's ARN for the records' `eventSourceARN`. */
export interface ShardRange {
  readonly streamArn: string;
  readonly shardId: string;
  /** First and last sequence number, inclusive. */
  readonly from: string;
  readonly to: string;
}

/** The records of a range still in the stream, as the event source mapping would have sent them. */
export interface RangeRead {
  readonly records: KinesisStreamRecord[];
  /**
   * Whether the read got past the range's end (or to the shard's tip): false when it gave up early.
   * A complete read short of the range's records means the stream no longer holds the rest.
   */
  readonly complete: boolean;
}

/**
 * Pages read without a record while the shard says there are more (`MillisBehindLatest` > 0),
 * and the pause between reads: a shard serves 5 reads a second, shared with the mapping.
 */
const MAX_EMPTY_PAGES = 20;
/**
 * Records per GetRecords page, as the event source mapping's batch size: an unbounded page (up to
 * 10 MB) came back cut off through LocalStack from a Lambda's SDK client at 1,000 records.
 */
const PAGE_LIMIT = 1000;
const PAGE_PAUSE_MS = 200;

/**
 * Reads sequence numbers `from` to `to` of a shard back from the stream (GetShardIterator
 * AT_SEQUENCE_NUMBER, then GetRecords until past `to`), as Lambda event records: the records the
 * mapping gave up on, for a redrive.
 */
export async function readShardRange(
  client: ShardReadClient,
  range: ShardRange,
  options: { readonly pagePauseMs?: number } = {},
): Promise<RangeRead> {
  const streamName = range.streamArn.slice(range.streamArn.indexOf('/') + 1);
  const from = BigInt(range.from);
  const to = BigInt(range.to);
  let iterator: string | undefined;
  try {
    const opened = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: range.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: range.from,
      }),
    );
    iterator = opened.ShardIterator;
  } catch (error) {
    // Kinesis refuses a sequence number it no longer keeps, and a shard past its retention is gone
    // (a missing stream is a misconfiguration, and stays an error).
    const gone =
      error instanceof Error &&
      (error.name === 'InvalidArgumentException' ||
        (error.name === 'ResourceNotFoundException' && error.message.includes(range.shardId)));
    if (gone) return { records: [], complete: true };
    throw error;
  }
  const region = range.streamArn.split(':')[3] ?? '';
  const records: KinesisStreamRecord[] = [];
  let emptyPages = 0;
  for (let page = 0; iterator; page++) {
    if (page > 0) await sleep(options.pagePauseMs ?? PAGE_PAUSE_MS);
    const read = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: PAGE_LIMIT }));
    for (const record of read.Records ?? []) {
      const sequence = BigInt(record.SequenceNumber ?? '0');
      if (sequence > to) return { records, complete: true };
      if (sequence >= from) records.push(eventRecord(record, range, region));
    }
    if ((read.Records ?? []).length === 0) {
      // At the shard's tip (or the end of a closed shard): nothing more of the range will come.
      if (read.MillisBehindLatest === 0) return { records, complete: true };
      if (++emptyPages >= MAX_EMPTY_PAGES) return { records, complete: false };
    } else emptyPages = 0;
    iterator = read.NextShardIterator;
  }
  // No next iterator: the end of a closed shard.
  return { records, complete: true };
}

/** A GetRecords record in the shape of a Lambda Kinesis event record. */
function eventRecord(record: _Record, range: ShardRange, region: string): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${range.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: '',
    awsRegion: region,
    eventSourceARN: range.streamArn,
  };
}
