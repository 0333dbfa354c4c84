import { CheckpointConflictError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../state/checkpoint.js';
import type { AggregatorDependencies } from './dependencies.js';
import { silentLogger } from './dependencies.js';
import { toAggregateRecords } from './output-records.js';

/** What the idle flush needs: the aggregator's dependencies minus the input side, plus the timeout. */
export interface IdleFlushDependencies
  extends Pick<
    AggregatorDependencies,
    'pipeline' | 'engine' | 'stateStore' | 'aggregates' | 'logger' | 'now'
  > {
  /** A shard without records for longer than this is idle. */
  readonly idleTimeoutMs: number;
}

/** What one flush did. */
export interface IdleFlushOutcome {
  readonly shardsChecked: number;
  readonly shardsFlushed: number;
  readonly windowsClosed: number;
  /** Shards whose checkpoint changed under us (the aggregator won): tried again next run. */
  readonly conflicts: number;
}

/**
 * The quiet-shard answer: stream time only moves with records, so a shard that stops receiving
 * them would keep its last windows open forever. For each shard idle longer than the timeout,
 * stream time advances by the idle wall-clock time (from where the last batch left it) and the
 * windows that passes are emitted. The checkpoint is written conditionally: if the aggregator
 * wrote in between, this run loses and the next one starts from the new checkpoint.
 */
export async function flushIdleShards(deps: IdleFlushDependencies): Promise<IdleFlushOutcome> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const { pipeline, engine, stateStore } = deps;
  const outcome = { shardsChecked: 0, shardsFlushed: 0, windowsClosed: 0, conflicts: 0 };
  for (const shard of await stateStore.list(pipeline.name)) {
    outcome.shardsChecked += 1;
    const stored = await stateStore.get(pipeline.name, shard);
    if (!stored || 'notModified' in stored) continue;
    const checkpoint = decodeCheckpoint(stored.body);
    const activity = checkpoint.lastActivity;
    const at = now();
    if (activity === null || activity.streamTime === null) continue;
    const idleFor = at - activity.at;
    if (idleFor <= deps.idleTimeoutMs) continue;
    const target = activity.streamTime + idleFor;
    const output = engine.advanceTo(checkpoint.engine, target);
    // Nothing closed: moving stream time alone is recomputed from lastActivity next time, no write.
    if (output.results.length === 0) continue;
    const records = toAggregateRecords(output.results, { pipeline: pipeline.name, shard, emittedAt: at });
    await deps.aggregates.put(records);
    try {
      await stateStore.put(
        pipeline.name,
        shard,
        encodeCheckpoint({ ...checkpoint, engine: output.state, updatedAt: at }),
        stored.etag,
      );
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) throw error;
      // The results already sent carry deterministic ids: a repeat by the aggregator deduplicates.
      outcome.conflicts += 1;
      logger.warn('idle flush lost the checkpoint race', { shard });
      continue;
    }
    outcome.shardsFlushed += 1;
    outcome.windowsClosed += records.length;
    logger.info('idle shard flushed', {
      shard,
      idleForMs: idleFor,
      streamTime: target,
      windows: records.length,
    });
  }
  return outcome;
}
