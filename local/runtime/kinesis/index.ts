/**
 * Reading a Kinesis stream locally, shared by the event source mapping runner and the Firehose
 * delivery's Kinesis source: the `ShardSource` interface both read through, its implementation on
 * the Kinesis API (LocalStack's kinesis-mock) and `SharedShardReads`, which lets both read each
 * record from kinesis-mock once.
 */
export { kinesisShardSource } from './kinesis-shard-source.js';
export {
  compareSequenceNumbers,
  type IteratorPosition,
  type RecordsPage,
  type ShardInfo,
  type ShardSource,
  type StreamRecord,
} from './shard-source.js';
export { SharedShardReads } from './shared-shard-reads.js';
