import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import { hashKeyOf, type ShardInfo } from '../../../functions/adapters/kinesis/shard-lineage.js';
import { queueRedrive } from '../../../functions/adapters/redrive/queue-redrive.js';
import {
  type Checkpoint,
  rangeRedriven,
  readCheckpoint,
  takenRanges,
} from '../../../functions/adapters/state/checkpoint.js';
import type { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { sequenceNumber } from '../../fixtures/kinesis-events.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const S = 1000;
const DAY = 24 * 3600 * S;
const MAX = (1n << 128n) - 1n;
const PARENT = 'shardId-000000000000';
const LEFT = 'shardId-000000000001';
const RIGHT = 'shardId-000000000002';
const LL = 'shardId-000000000003';
const LR = 'shardId-000000000004';
const [ann, bob] = ['ann', 'bob'].sort((a, b) => (hashKeyOf(a) < hashKeyOf(b) ? -1 : 1)) as [string, string];
const split = hashKeyOf(ann);

const splitShards: ShardInfo[] = [
  { shardId: PARENT, hashKeyRange: { start: 0n, end: MAX } },
  { shardId: LEFT, parentShardId: PARENT, hashKeyRange: { start: 0n, end: split } },
  { shardId: RIGHT, parentShardId: PARENT, hashKeyRange: { start: split + 1n, end: MAX } },
];
/** PARENT split into LEFT and RIGHT; LEFT split again (into LL and LR) before it ever had a batch. */
const splitTwice: ShardInfo[] = [
  ...splitShards,
  { shardId: LL, parentShardId: LEFT, hashKeyRange: { start: 0n, end: split / 2n } },
  { shardId: LR, parentShardId: LEFT, hashKeyRange: { start: split / 2n + 1n, end: split } },
];

const lineageOf = (shards: readonly ShardInfo[]) => ({
  describe: async (_: string, id: string) => shards.find((s) => s.shardId === id),
});
const childrenIn = (shards: readonly ShardInfo[]) => async (shard: string) =>
  shards.filter((s) => s.parentShardId === shard || s.adjacentParentShardId === shard);

function setup(shards: readonly ShardInfo[]) {
  let wall = 1_800_000_000_000;
  const harness = memoryDeps({ lineage: lineageOf(shards), now: () => wall });
  const checkpoint = async (shard: string) =>
    (await readCheckpoint(harness.stateStore, clicksPipeline.name, shard))?.checkpoint;
  const rows = () =>
    (harness.aggregates.records as AggregateRecord[])
      .map((r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`)
      .sort();
  /** PARENT's one batch before the reshard: ann, bob, ann. */
  const parentBatch = () =>
    aggregateBatch(
      clickRecords([click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)], 1, PARENT),
      harness.deps,
    );
  const closeEverything = async () => {
    wall += DAY;
    await flushIdleShards({ ...harness.deps, idleTimeoutMs: 0 });
    return rows();
  };
  return {
    ...harness,
    checkpoint,
    parentBatch,
    rows,
    closeEverything,
    advance: (ms: number) => {
      wall += ms;
    },
  };
}

describe('redriving across reshards: failures, generations, races', () => {
  it("writes the batch's own shard last: a child's write that fails leaves the range to the next run, which queues the child's records", async () => {
    // Prepare: LEFT took ann over; RIGHT has had no batch (bob's windows still in PARENT)
    const { deps, stateStore, checkpoint, closeEverything, parentBatch } = setup(splitShards);
    await parentBatch();
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 10, LEFT), deps);
    // The failed batch: bob's click first (routes to PARENT, RIGHT has no checkpoint), then ann's (LEFT)
    const failed = clickRecords([click(bob, T0 + 45 * S), click(ann, T0 + 50 * S)], 5, PARENT);
    const range = { from: sequenceNumber(5), to: sequenceNumber(6) };
    const childrenOf = childrenIn(splitShards);
    // LEFT's write fails this run (a 503, a conflict with a busy LEFT three times, the run timing out ...)
    const flaky = Object.assign(Object.create(stateStore) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (args[1] === LEFT) throw new Error('S3 503 SlowDown');
        return stateStore.put(...args);
      },
    });

    // Act: the first run fails (the message stays), the next run tries again
    await expect(
      queueRedrive(PARENT, failed, range, { ...deps, stateStore: flaky, childrenOf }),
    ).rejects.toThrow('SlowDown');
    const parentAfterFirst = await checkpoint(PARENT);
    const again = await queueRedrive(PARENT, failed, range, { ...deps, childrenOf });

    // Assess: the parent, written last, was not written: the second run queues both clicks
    expect(parentAfterFirst?.redriven).toEqual([]);
    expect(parentAfterFirst?.redriveInbox).toEqual([]);
    expect(again).toEqual({ redriven: 2, waiting: 2, skipped: 0 });
    expect(rangeRedriven(takenRanges((await checkpoint(PARENT)) as Checkpoint), range.from, range.to)).toBe(
      true,
    );
    expect((await checkpoint(LEFT))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(6)]);
    expect((await closeEverything()).filter((r) => r.startsWith(ann))).toEqual([
      `${ann} 0s clicks=4 on ${LEFT}`,
    ]);
  });

  it('finds a grandchild that took the keys over through a child that never had a batch (split, then split again)', async () => {
    // Prepare: PARENT's batch; LEFT is split into LL and LR before it had any; LR's first batch takes
    // ann's windows over from PARENT (through LEFT, which has no checkpoint)
    const { deps, checkpoint, closeEverything, parentBatch } = setup(splitTwice);
    await parentBatch();
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 30, LR), deps);
    expect((await checkpoint(LR))?.inheritedFrom).toEqual([]);

    // Act: a redrive of PARENT's failed batch (ann's click at 45 s, her window still open in LR)
    const failed = clickRecords([click(ann, T0 + 45 * S)], 5, PARENT);
    const queued = await queueRedrive(
      PARENT,
      failed,
      { from: sequenceNumber(5), to: sequenceNumber(5) },
      { ...deps, childrenOf: childrenIn(splitTwice) },
    );

    // Assess: it should wait in LR (or be refused), not in PARENT, which no longer holds ann's windows
    expect(queued.redriven).toBe(1);
    const inParent = (await checkpoint(PARENT))?.redriveInbox.length;
    expect((await closeEverything()).filter((r) => r.startsWith(ann))).toEqual([
      `${ann} 0s clicks=4 on ${LR}`,
    ]);
    expect(inParent).toBe(0);
  });

  it('finds the merged shard that took the keys over through a child that never had a batch (split, then merge)', async () => {
    const MERGED = 'shardId-000000000005';
    const splitThenMerged: ShardInfo[] = [
      ...splitShards,
      {
        shardId: MERGED,
        parentShardId: LEFT,
        adjacentParentShardId: RIGHT,
        hashKeyRange: { start: 0n, end: MAX },
      },
    ];
    const { deps, checkpoint, closeEverything, parentBatch } = setup(splitThenMerged);
    await parentBatch();
    // RIGHT had a batch, LEFT never did; both were merged into MERGED, whose first batch took over
    await aggregateBatch(clickRecords([click(bob, T0 + 25 * S)], 20, RIGHT), deps);
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 40, MERGED), deps);

    // Act
    const failed = clickRecords([click(ann, T0 + 45 * S)], 5, PARENT);
    await queueRedrive(
      PARENT,
      failed,
      { from: sequenceNumber(5), to: sequenceNumber(5) },
      { ...deps, childrenOf: childrenIn(splitThenMerged) },
    );

    // Assess
    const inParent = (await checkpoint(PARENT))?.redriveInbox.length;
    expect((await closeEverything()).filter((r) => r.startsWith(ann))).toEqual([
      `${ann} 0s clicks=4 on ${MERGED}`,
    ]);
    expect(inParent).toBe(0);
  });

  it("records the range in the batch's own shard when all its records went to a child, so its idle flush is not held behind it", async () => {
    // Prepare: PARENT's batch, and its last batch (ann's clicks, 5-6) given up on; LEFT took ann
    // over; RIGHT has had no batch, so bob's window [0, 60) is still open in PARENT
    const { deps, backlog, checkpoint, rows, advance } = setup(splitShards);
    const first = clickRecords(
      [click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)],
      1,
      PARENT,
    );
    const failed = clickRecords([click(ann, T0 + 45 * S), click(ann, T0 + 50 * S)], 5, PARENT);
    backlog.written([...first, ...failed], 1_800_000_000_000);
    await aggregateBatch(first, deps);
    const leftBatch = clickRecords([click(ann, T0 + 40 * S)], 10, LEFT);
    backlog.written(leftBatch, 1_800_000_000_000);
    await aggregateBatch(leftBatch, deps);

    // Act: the redrive takes the range back (both clicks to LEFT), then 10 minutes pass
    await queueRedrive(
      PARENT,
      failed,
      { from: sequenceNumber(5), to: sequenceNumber(6) },
      { ...deps, childrenOf: childrenIn(splitShards) },
    );
    advance(10 * 60 * S);
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 2 * 60 * S });

    // Assess: the mapping never delivers 5-6 again, so PARENT is idle, not behind
    expect((await checkpoint(PARENT))?.redriven).toEqual([
      { from: sequenceNumber(5), to: sequenceNumber(6), at: expect.any(Number) },
    ]);
    expect(rows().filter((r) => r.startsWith(bob))).toEqual([`${bob} 0s clicks=1 on ${PARENT}`]);
    expect(outcome.behind).toBe(0);
  });

  it('skips a second copy after the child that took the record was split again', async () => {
    // Prepare: LEFT took ann over and was then split into LL and LR (ann's keys in LR)
    const { deps, checkpoint, parentBatch } = setup(splitTwice);
    await parentBatch();
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 10, LEFT), deps);
    const failed = clickRecords([click(ann, T0 + 45 * S)], 5, PARENT);
    const range = { from: sequenceNumber(5), to: sequenceNumber(5) };
    const redrive = () =>
      queueRedrive(PARENT, failed, range, { ...deps, childrenOf: childrenIn(splitTwice) });

    // Act: queued in LEFT, LR takes it over, a copy of the message comes again
    expect(await redrive()).toEqual({ redriven: 1, waiting: 1, skipped: 0 });
    await aggregateBatch(clickRecords([click(ann, T0 + 42 * S)], 30, LR), deps);
    const second = await redrive();

    // Assess
    expect(second).toEqual({ redriven: 0, waiting: 0, skipped: 1 });
    expect((await checkpoint(LR))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(5)]);
  });

  it("queues a record once when two runs race a handover: the child holds its parents' ranges", async () => {
    const { deps, checkpoint, parentBatch } = setup(splitTwice);
    await parentBatch();
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 10, LEFT), deps);
    const failed = clickRecords([click(ann, T0 + 45 * S)], 5, PARENT);
    const range = { from: sequenceNumber(5), to: sequenceNumber(5) };
    const children = childrenIn(splitTwice);
    let raced = false;
    // Run X: while it walks down (it has read LEFT's checkpoint, and asks for LEFT's children),
    // run Y (a second copy of the message, or an overlapping range) queues the record in LEFT,
    // and LR's first batch takes ann's keys and that record over
    const slow = async (shard: string) => {
      if (shard === LEFT && !raced) {
        raced = true;
        await queueRedrive(PARENT, failed, range, { ...deps, childrenOf: children });
        await aggregateBatch(clickRecords([click(ann, T0 + 42 * S)], 30, LR), deps);
      }
      return children(shard);
    };

    // Act
    const x = await queueRedrive(PARENT, failed, range, { ...deps, childrenOf: slow });

    // Assess: the record must be in LR once
    expect(raced).toBe(true);
    expect((await checkpoint(LR))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(5)]);
    expect(x).toEqual({ redriven: 0, waiting: 0, skipped: 1 });
  });
});
