import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import { CheckpointConflictError } from '../../../functions/adapters/errors.js';
import { click, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const MIN = 60_000;
const WALL = 1_800_000_000_000;

async function quietShard() {
  let wall = WALL;
  const harness = memoryDeps({ now: () => wall });
  // The last record at T0+30s: [T0, T0+1m) stays open (it closes at stream time T0+1m10s).
  await aggregateBatch(clickRecords([click('ann', T0 + 1000), click('ann', T0 + 30_000)]), harness.deps);
  return { ...harness, setWall: (ms: number) => (wall = ms) };
}

describe('flushIdleShards', () => {
  it('leaves a shard alone while it is not idle for longer than the timeout', async () => {
    // Prepare
    const { deps, aggregates, setWall } = await quietShard();
    setWall(WALL + 5 * MIN);

    // Act
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 5 * MIN });

    // Assess
    expect(outcome).toMatchObject({ shardsChecked: 1, shardsFlushed: 0, windowsClosed: 0 });
    expect(aggregates.records).toEqual([]);
  });

  it('advances stream time by the idle wall-clock time and emits the windows that closes, once', async () => {
    // Prepare: idle for 2 minutes (timeout 1 minute): stream time T0+30s+2m passes T0+1m10s.
    const { deps, aggregates, stateStore, setWall } = await quietShard();
    setWall(WALL + 2 * MIN);

    // Act
    const first = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });
    setWall(WALL + 3 * MIN);
    const second = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });

    // Assess
    expect(first).toMatchObject({ shardsFlushed: 1, windowsClosed: 1 });
    expect(second).toMatchObject({ shardsFlushed: 0, windowsClosed: 0 });
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', window_start: T0, values: { clicks: 2, amount: 2 } }),
    ]);
    expect(stateStore.writes).toBe(2);
  });

  it('loses a race with the aggregator without failing: the next run starts from the new checkpoint', async () => {
    // Prepare: the store refuses the flush's conditional write.
    const { deps, stateStore, setWall } = await quietShard();
    setWall(WALL + 2 * MIN);
    const refusing = Object.assign(Object.create(stateStore), {
      put: async (p: string, s: string) => {
        throw new CheckpointConflictError(p, s, 'stale');
      },
    });

    // Act
    const outcome = await flushIdleShards({ ...deps, stateStore: refusing, idleTimeoutMs: MIN });

    // Assess
    expect(outcome).toMatchObject({ shardsFlushed: 0, conflicts: 1 });
  });
});
