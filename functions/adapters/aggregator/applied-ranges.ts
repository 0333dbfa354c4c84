import type { KinesisStreamRecord } from 'aws-lambda';
import { isRetriable } from '../errors.js';
import type { AnyPipeline } from '../pipeline-event.js';
import { encodeCheckpoint, keptRedriven, rangeRedriven, readCheckpoint } from '../state/checkpoint.js';
import type { StateStore } from '../state/state-store.js';
import { shardOf } from './aggregate-batch.js';

/** Attempts at one partition's write when another writer got there first. */
const ATTEMPTS = 3;

/**
 * On Kafka one batch holds several partitions, and the aggregator applies each on its own. When one
 * fails, the invocation fails and Lambda retries the whole batch (the applied partitions skip it by
 * their checkpoints); when Lambda gives up, its on-failure record names every partition of the
 * batch. So that a redrive does not count the applied ones a second time, their offsets go into
 * the partition checkpoint's `redriven` ranges, the list a redrive reads to skip what was taken.
 * A partition whose checkpoint already holds the range is not written again (the retries of one
 * batch). Returns the partitions written.
 *
 * The write keeps `updatedAt`, as a redrive's does: a batch whose own write loses to it merges the
 * ranges in (aggregate-batch.ts, writeCheckpoint).
 */
export async function recordAppliedRanges(
  records: readonly KinesisStreamRecord[],
  notApplied: ReadonlySet<string>,
  deps: { readonly stateStore: StateStore; readonly pipeline: AnyPipeline; readonly now?: () => number },
): Promise<string[]> {
  const ranges = new Map<string, { from: bigint; to: bigint }>();
  for (const record of records) {
    const shard = shardOf(record);
    if (notApplied.has(shard)) continue;
    const offset = BigInt(record.kinesis.sequenceNumber);
    const range = ranges.get(shard);
    if (!range) ranges.set(shard, { from: offset, to: offset });
    else {
      if (offset < range.from) range.from = offset;
      if (offset > range.to) range.to = offset;
    }
  }
  const written: string[] = [];
  for (const [shard, { from, to }] of ranges) {
    if (await recordRange(shard, String(from), String(to), deps)) written.push(shard);
  }
  return written;
}

async function recordRange(
  shard: string,
  from: string,
  to: string,
  deps: { readonly stateStore: StateStore; readonly pipeline: AnyPipeline; readonly now?: () => number },
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const stored = await readCheckpoint(deps.stateStore, deps.pipeline.name, shard);
    // No checkpoint: nothing of the partition was applied.
    if (!stored || rangeRedriven(stored.checkpoint.redriven, from, to)) return false;
    const at = (deps.now ?? Date.now)();
    const { checkpoint, etag } = stored;
    const next = { ...checkpoint, redriven: [...keptRedriven(checkpoint.redriven, at), { from, to, at }] };
    try {
      await deps.stateStore.put(deps.pipeline.name, shard, encodeCheckpoint(next), etag);
      return true;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetriable(error)) throw error;
    }
  }
}
