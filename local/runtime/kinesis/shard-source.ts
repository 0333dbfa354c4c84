/** One Kinesis record as the mapping reads it with GetRecords. */
export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** ApproximateArrivalTimestamp, epoch milliseconds. */
  readonly approximateArrivalTimestamp: number;
}

export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
}

/** Where a shard iterator starts. */
export type IteratorPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMs: number }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface RecordsPage {
  readonly records: readonly StreamRecord[];
  /** Undefined once a closed shard has been read to its end. */
  readonly nextIterator: string | undefined;
  readonly millisBehindLatest: number | undefined;
  /**
   * Set when the page ends at the shard's tip: when (epoch ms) the read that found the tip was sent.
   * Every record written before then is in this page or an earlier one. This, not an empty page,
   * is how a reader knows it has caught up (an empty page costs kinesis-mock a call of its own).
   */
  readonly tipAsOf?: number;
}

/** The three Kinesis calls a mapping makes: a small interface so unit tests can use a fake shard. */
export interface ShardSource {
  /** `signal` aborts a call in flight when the runner stops. */
  listShards(signal?: AbortSignal): Promise<ShardInfo[]>;
  getIterator(shardId: string, position: IteratorPosition, signal?: AbortSignal): Promise<string>;
  getRecords(iterator: string, limit: number, signal?: AbortSignal): Promise<RecordsPage>;
}

/** Compares two Kinesis sequence numbers (decimal strings of up to 128 bits). */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
