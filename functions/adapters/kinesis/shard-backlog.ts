import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type GetShardIteratorCommandOutput,
} from '@aws-sdk/client-kinesis';
import type { StreamBacklog } from '../aggregator/stream-backlog.js';
import type { RecordPosition } from './decode.js';

/** The two calls the backlog check makes (a real KinesisClient, or a stub). */
export interface ShardReadClient {
  send(command: GetShardIteratorCommand): Promise<GetShardIteratorCommandOutput>;
  send(command: GetRecordsCommand): Promise<GetRecordsCommandOutput>;
}

/**
 * GetRecords may answer a page without records while the shard still holds some further on
 * (`MillisBehindLatest` > 0): after a stretch the stream no longer keeps, or in a sparse shard.
 * Pages read from one iterator before giving up, and the pause between them: the shard's 5 reads a
 * second are shared with the event source mapping and Firehose.
 */
const MAX_PAGES = 4;
const PAGE_PAUSE_MS = 250;

/** The first record an iterator reads, 'none' (the shard holds none there), or 'unknown'. */
type FirstRecord = { readonly sequence: bigint; readonly arrival: number } | 'none' | 'unknown';

/**
 * The backlog of a Kinesis shard: the first record after the checkpoint (GetShardIterator
 * AFTER_SEQUENCE_NUMBER, GetRecords with Limit 1). When that one is older than the mapping's
 * maximum record age, or cannot be found within a few pages (a checkpoint the stream no longer
 * keeps), a second look from `now - maxRecordAge` (AT_TIMESTAMP) finds whether a newer record
 * follows the checkpoint. What cannot be told counts as undelivered: the flush waits a minute.
 */
export class KinesisShardBacklog implements StreamBacklog {
  constructor(
    private readonly options: {
      readonly client: ShardReadClient;
      readonly streamName: string;
      /** The event source mapping's MaximumRecordAgeInSeconds, in ms (Infinity: no maximum). */
      readonly maxRecordAgeMs: number;
      /** @default 250 ms */
      readonly pagePauseMs?: number;
    },
  ) {}

  async hasUndelivered(shard: string, position: RecordPosition | null, now: number): Promise<boolean> {
    const oldestDeliverable = now - this.options.maxRecordAgeMs;
    const first = await this.firstRecord(
      shard,
      position === null
        ? { ShardIteratorType: 'TRIM_HORIZON' }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position.sequenceNumber },
    );
    if (first === 'none') return false;
    if (first !== 'unknown' && first.arrival >= oldestDeliverable) return true;
    // Nothing can have arrived after a time still to come (the flush's clock may run ahead: the
    // local final flush moves it), and Kinesis refuses such an AT_TIMESTAMP.
    if (oldestDeliverable >= Date.now()) return false;
    const recent = await this.firstRecord(shard, {
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date(oldestDeliverable),
    });
    if (recent === 'none') return false;
    if (recent === 'unknown' || position === null) return true;
    // Records arrive in sequence order: after a first record too old to deliver, any recent one
    // follows the checkpoint; without a first record, its sequence number says.
    return first !== 'unknown' || recent.sequence > BigInt(position.sequenceNumber);
  }

  private async firstRecord(
    shard: string,
    start: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'>,
  ): Promise<FirstRecord> {
    const { client, streamName } = this.options;
    let opened: GetShardIteratorCommandOutput;
    try {
      opened = await client.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard, ...start }),
      );
    } catch (error) {
      // A closed shard leaves the stream once its records are past retention: nothing to deliver.
      // (A missing stream is a misconfiguration and stays an error.)
      if (isMissingShard(error, shard)) return 'none';
      throw error;
    }
    let iterator = opened.ShardIterator;
    for (let page = 0; page < MAX_PAGES && iterator; page++) {
      if (page > 0) await sleep(this.options.pagePauseMs ?? PAGE_PAUSE_MS);
      const read = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }));
      const record = read.Records?.[0];
      if (record) {
        return {
          sequence: BigInt(record.SequenceNumber ?? '0'),
          arrival: record.ApproximateArrivalTimestamp?.getTime() ?? Number.POSITIVE_INFINITY,
        };
      }
      // Caught up with the shard's tip, or at the end of a closed shard.
      if (read.MillisBehindLatest === 0) return 'none';
      iterator = read.NextShardIterator;
    }
    return iterator ? 'unknown' : 'none';
  }
}

function isMissingShard(error: unknown, shard: string): boolean {
  return (
    error instanceof Error && error.name === 'ResourceNotFoundException' && error.message.includes(shard)
  );
}
