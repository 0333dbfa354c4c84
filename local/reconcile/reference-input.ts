import { createHash } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import type { z } from 'zod';
import type { Pipeline } from '../../functions/core/pipeline.js';
import type { GeneratedRecord } from '../../functions/pipelines/generator.js';
import type { ReferenceRecord } from './ground-truth.js';

/** A Kinesis shard's hash key range, as ListShards returns it (decimal strings). */
export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: string;
  readonly endingHashKey: string;
}

const HASH_SPACE = 1n << 128n;

/**
 * The ranges CreateStream gives `count` shards: the 128-bit hash key space split evenly.
 * Use the stream's real ranges (ListShards) after a reshard.
 */
export function evenShardRanges(count: number): ShardRange[] {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`shard count must be >= 1 (given ${count})`);
  const n = BigInt(count);
  return Array.from({ length: count }, (_, i) => {
    const start = (BigInt(i) * HASH_SPACE) / n;
    const end = (BigInt(i + 1) * HASH_SPACE) / n - 1n;
    return {
      shardId: `shardId-${String(i).padStart(12, '0')}`,
      startingHashKey: start.toString(),
      endingHashKey: end.toString(),
    };
  });
}

/**
 * The shard Kinesis writes a partition key to: the MD5 of the key's UTF-8 bytes, read as an
 * unsigned 128-bit integer, falls in one shard's hash key range.
 */
export function kinesisShardFor(partitionKey: string, shards: readonly ShardRange[]): string {
  const hash = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
  const shard = shards.find((s) => BigInt(s.startingHashKey) <= hash && hash <= BigInt(s.endingHashKey));
  if (shard === undefined)
    throw new RangeError(`no shard covers the hash key of ${JSON.stringify(partitionKey)}`);
  return shard.shardId;
}

/**
 * The partition kafkajs' default (Java-compatible murmur2) partitioner picks for a keyed message
 * on a topic of `partitions` partitions, as "topic-partition" (the MSK event's record key).
 */
export function kafkaPartitionFor(topic: string, key: string, partitions: number): string {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return `${topic}-${partitioner({ topic, partitionMetadata, message: { key, value: null } })}`;
}

/** A record the pipeline rejected, with the reason (it goes to the dead-letter queue, not to a window). */
export interface RejectedRecord {
  readonly index: number;
  readonly text: string;
  readonly reason: string;
}

/**
 * Turns produced records (in arrival order) into the reference model's input the way the
 * aggregator sees them: parsed and validated by the pipeline, keyed, timed, and placed on the
 * partition their key hashes to (`partitionOf`, e.g. `(key) => kinesisShardFor(key, ranges)`).
 */
export function referenceInput<S extends z.ZodType>(
  pipeline: Pipeline<S>,
  produced: Iterable<Pick<GeneratedRecord<unknown>, 'text' | 'arrivalMs'>>,
  partitionOf: (key: string) => string,
): { records: ReferenceRecord<z.output<S>>[]; rejected: RejectedRecord[] } {
  const records: ReferenceRecord<z.output<S>>[] = [];
  const rejected: RejectedRecord[] = [];
  let index = 0;
  for (const { text, arrivalMs } of produced) {
    const parsed = pipeline.parse(text, arrivalMs);
    if (parsed.ok)
      records.push({
        partition: partitionOf(parsed.key),
        key: parsed.key,
        ts: parsed.ts,
        value: parsed.event,
      });
    else rejected.push({ index, text, reason: parsed.reason });
    index += 1;
  }
  return { records, rejected };
}
