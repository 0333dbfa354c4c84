import type { RecordPosition } from '../kinesis/decode.js';

/**
 * What the idle flush asks the stream before it takes a quiet shard: does the shard still hold
 * records after the checkpoint that the event source mapping may deliver?
 *
 * A shard whose checkpoint is old is not necessarily idle. An aggregator batch may have sent its
 * window results and died before its checkpoint write, and Lambda may retry it only later (after
 * the batch's claim ran out). A flush that advanced stream time in between would emit the same
 * windows without that batch's records, under the same result ids, and the retry would then find
 * its records late: one window with two values, and records counted in it and in `late/` as well.
 * Records the mapping has not delivered mean the shard is behind, not idle; the flush leaves it to
 * the aggregator.
 *
 * Records older than the mapping's maximum record age do not count: the mapping discards them (to
 * its on-failure destination) instead of delivering them, so they must not keep windows open.
 */
export interface StreamBacklog {
  /**
   * Whether `shard` holds a record after `position` (anywhere in the shard when null) that arrived
   * at or after `now - maxRecordAgeMs`, so that the mapping may still deliver it.
   */
  hasUndelivered(shard: string, position: RecordPosition | null, now: number): Promise<boolean>;
}
