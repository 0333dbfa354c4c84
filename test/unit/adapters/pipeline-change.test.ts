import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import { StateCorruptError } from '../../../functions/core/errors.js';
import { definePipeline } from '../../../functions/core/pipeline.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const MIN = 60_000;
const WALL = 1_800_000_000_000;

/** The same pipeline after a deploy that changed its window and added an aggregation. */
const changed = definePipeline({
  ...clicksPipeline.config,
  window: { type: 'tumbling', sizeMs: 2 * MIN, graceMs: 10_000 },
  aggregations: { ...clicksPipeline.config.aggregations, top: { fn: 'max', field: (e) => e.amount } },
});

/** A shard that saw two clicks, with the old definition; `drain` closes its window (idle flush). */
async function shardBeforeTheDeploy(drain: boolean) {
  let wall = WALL;
  const harness = memoryDeps({ now: () => wall });
  const batch = clickRecords([click('ann', T0 + 1000, 2), click('ann', T0 + 30_000, 3)]);
  await aggregateBatch(batch, harness.deps);
  if (drain) {
    wall += 5 * MIN;
    await flushIdleShards({ ...harness.deps, idleTimeoutMs: MIN });
  }
  const deployed = { ...harness.deps, pipeline: changed, engine: changed.createEngine() };
  return { ...harness, batch, deployed };
}

describe('a pipeline whose window or aggregations changed (a deploy)', () => {
  it('continues from a drained checkpoint: its position still skips a retried batch', async () => {
    // Prepare
    const { batch, deployed, aggregates, stateStore } = await shardBeforeTheDeploy(true);
    const before = aggregates.records.length;

    // Act: Lambda retries the old batch, then the stream goes on (the flush took stream time to
    // T0 + 5.5 min: a record for [T0 + 4 min, T0 + 6 min) would be late)
    const retried = await aggregateBatch(batch, deployed);
    const next = clickRecords([click('ann', T0 + 6 * MIN, 4), click('ann', T0 + 9 * MIN, 1)], 3);
    const outcome = await aggregateBatch(next, deployed);

    // Assess: the old window was emitted once, under the old definition; the new one follows the new
    expect(before).toBe(1);
    expect(aggregates.records[0]).toMatchObject({ window_start: T0, values: { clicks: 2, amount: 5 } });
    expect(retried.stats).toMatchObject({ skipped: 2, recordsIn: 0 });
    expect(outcome.stats).toMatchObject({ recordsIn: 2, lateRecords: 0, windowsClosed: 1 });
    expect(aggregates.records.slice(1)).toEqual([
      expect.objectContaining({
        window_start: T0 + 6 * MIN,
        window_end: T0 + 8 * MIN,
        values: { clicks: 1, amount: 4, top: 4 },
      }),
    ]);
    expect(stateStore.writes).toBeGreaterThan(2);
  });

  it('refuses a checkpoint that still holds windows, sends nothing and keeps it', async () => {
    // Prepare
    const { deployed, aggregates, late, stateStore } = await shardBeforeTheDeploy(false);
    const writes = stateStore.writes;
    const next = clickRecords([click('ann', T0 + 3 * MIN, 4)], 3);

    // Act
    const attempt = aggregateBatch(next, deployed);

    // Assess: a function error (Lambda retries, then the on-failure destination); nothing changed
    await expect(attempt).rejects.toThrow(StateCorruptError);
    await expect(aggregateBatch(next, deployed)).rejects.toThrow(
      /state was built for window .*"sizeMs":60000.*this engine uses .*"sizeMs":120000.*holds no windows \(drained\)/,
    );
    expect(aggregates.records).toEqual([]);
    expect(late.records).toEqual([]);
    expect(stateStore.writes).toBe(writes);
  });
});
