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
 * (`MillisBehindLatest` > 0): a shard's records need not be contiguous. Pages read before giving
 * up and calling the shard behind (the flush then leaves it for a minute, as for a real backlog).
 */
const MAX_EMPTY_PAGES = 10;

/**
 * The backlog of a Kinesis shard: the first record after the checkpoint (GetShardIterator
 * AFTER_SEQUENCE_NUMBER, GetRecords with Limit 1). When that one is older than the mapping's
 * maximum record age, a second look from `now - maxRecordAge` (AT_TIMESTAMP) finds whether any
 * newer one follows it.
 */
export class KinesisShardBacklog implements StreamBacklog {
  constructor(
    private readonly options: {
      readonly client: ShardReadClient;
      readonly streamName: string;
      /** The event source mapping's MaximumRecordAgeInSeconds, in ms (Infinity: no maximum). */
      readonly maxRecordAgeMs: number;
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
    if (first === 'unknown' || first >= oldestDeliverable) return true;
    // Nothing can have arrived after a time still to come (the flush's clock may run ahead: the
    // local final flush moves it), and Kinesis refuses such an AT_TIMESTAMP.
    if (oldestDeliverable >= Date.now()) return false;
    // The first record after the checkpoint is too old to be delivered; records arrive in sequence
    // order, so any record from `oldestDeliverable` on comes after it, after the checkpoint too.
    const recent = await this.firstRecord(shard, {
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date(oldestDeliverable),
    });
    return recent !== 'none';
  }

  /** The arrival time (epoch ms) of the first record the iterator reads, 'none', or 'unknown'. */
  private async firstRecord(
    shard: string,
    start: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'>,
  ): Promise<number | 'none' | 'unknown'> {
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
    for (let page = 0; page < MAX_EMPTY_PAGES && iterator; page++) {
      const read = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }));
      const record = read.Records?.[0];
      if (record) return record.ApproximateArrivalTimestamp?.getTime() ?? Number.POSITIVE_INFINITY;
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
