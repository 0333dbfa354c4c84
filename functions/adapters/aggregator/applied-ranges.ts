import { describeError, isRetriable } from '../errors.js';
import type { AnyPipeline } from '../pipeline-event.js';
import {
  type AppliedRange,
  encodeCheckpoint,
  keptRedriven,
  mergedRanges,
  rangeRedriven,
  readCheckpoint,
} from '../state/checkpoint.js';
import type { StateStore } from '../state/state-store.js';
import type { LoggerLike } from './dependencies.js';

/** Attempts at one partition's write when another writer got there first. */
const ATTEMPTS = 3;

/**
 * On Kafka one batch holds several partitions, and the aggregator applies each on its own. When one
 * fails, the invocation fails and Lambda retries the whole batch (the applied partitions skip it by
 * their checkpoints); when Lambda gives up, its on-failure record names every partition of the
 * batch. So that a redrive does not count the applied ones a second time, the offsets this
 * invocation applied go into the partition checkpoint's `redriven` ranges, the list a redrive
 * reads to skip what was taken.
 *
 * Only what is known applied: what this invocation applied, and what it found applied by the
 * partition's last write (`lastApplied`: an earlier attempt that applied it and ended before its
 * mark, by a timeout or a failed write). Offsets a partition merely skipped as at or below its
 * checkpoint may be ones the mapping gave up on before, which a redrive must still take. Left: an
 * attempt that applies a partition, ends before marking, and is Lambda's last; the redrive still
 * skips those offsets while they are the partition's last write (takenRanges), and counts them
 * again once the partition has moved on.
 *
 * A batch's records are marked as runs of consecutive offsets (aggregate-batch.ts, `denseOffsets`):
 * an offset the batch did not hold (the mapping left it out, older than the maximum record age, or
 * the handler dead-lettered it as unusable) is never marked. A range touching or overlapping one
 * recorded before is merged into it, so a partition that goes on while another keeps failing holds
 * one range per run of offsets, not one per batch. Each partition is marked on
 * its own (a failure is logged and the others go on). The write keeps `updatedAt`, as a redrive's
 * does: a batch whose own write loses to it merges the ranges in (aggregate-batch.ts,
 * writeCheckpoint). Returns the partitions marked.
 */
export async function recordAppliedRanges(
  applied: ReadonlyMap<string, readonly AppliedRange[]>,
  deps: {
    readonly stateStore: StateStore;
    readonly pipeline: AnyPipeline;
    readonly now?: () => number;
    readonly logger?: LoggerLike;
  },
): Promise<string[]> {
  const marked: string[] = [];
  for (const [shard, ranges] of applied) {
    if (ranges.length === 0) continue;
    try {
      if (await recordRanges(shard, ranges, deps)) marked.push(shard);
    } catch (error) {
      deps.logger?.warn('applied partition not marked: a redrive of this batch would take it again', {
        shard,
        ranges,
        error: describeError(error),
      });
    }
  }
  return marked;
}

async function recordRanges(
  shard: string,
  ranges: readonly AppliedRange[],
  deps: { readonly stateStore: StateStore; readonly pipeline: AnyPipeline; readonly now?: () => number },
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const stored = await readCheckpoint(deps.stateStore, deps.pipeline.name, shard);
    if (!stored) return false;
    const { checkpoint, etag } = stored;
    const fresh = ranges.filter(({ from, to }) => !rangeRedriven(checkpoint.redriven, from, to));
    if (fresh.length === 0) return false;
    const at = (deps.now ?? Date.now)();
    const redriven = mergedRanges([
      ...keptRedriven(checkpoint.redriven, at),
      ...fresh.map(({ from, to }) => ({ from, to, at })),
    ]);
    const next = { ...checkpoint, redriven };
    try {
      await deps.stateStore.put(deps.pipeline.name, shard, encodeCheckpoint(next), etag);
      return true;
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetriable(error)) throw error;
    }
  }
}
