import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import {
  hashKeyOf,
  type ShardInfo,
  type ShardLineage,
} from '../../../functions/adapters/kinesis/shard-lineage.js';
import { queueRedrive } from '../../../functions/adapters/redrive/queue-redrive.js';
import { decodeCheckpoint, readCheckpoint } from '../../../functions/adapters/state/checkpoint.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { definePipeline } from '../../../functions/core/pipeline.js';
import { sequenceNumber } from '../../fixtures/kinesis-events.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const S = 1000;
const DAY = 24 * 3600 * S;
/** The test pipeline after a deploy that added an aggregation. */
const withTop = definePipeline({
  ...clicksPipeline.config,
  aggregations: { ...clicksPipeline.config.aggregations, top: { fn: 'max', field: (e) => e.amount } },
});
const MAX = (1n << 128n) - 1n;
const PARENT = 'shardId-000000000000';
const LEFT = 'shardId-000000000001';
const RIGHT = 'shardId-000000000002';

// Two users on either side of the split point: ann's records go to LEFT after the split, bob's to RIGHT.
const [ann, bob] = ['ann', 'bob'].sort((a, b) => (hashKeyOf(a) < hashKeyOf(b) ? -1 : 1)) as [string, string];
const split = hashKeyOf(ann);

/** A stream whose one shard was split at `split` into LEFT and RIGHT. */
function splitLineage(): ShardLineage {
  const shards: ShardInfo[] = [
    { shardId: PARENT, hashKeyRange: { start: 0n, end: MAX } },
    { shardId: LEFT, parentShardId: PARENT, hashKeyRange: { start: 0n, end: split } },
    { shardId: RIGHT, parentShardId: PARENT, hashKeyRange: { start: split + 1n, end: MAX } },
  ];
  return { describe: async (_, id) => shards.find((s) => s.shardId === id) };
}

/** A state store whose chosen writes fail once, as a crash between two steps would leave things. */
class CrashingStateStore extends MemoryStateStore {
  constructor(private readonly failOnce: (shard: string, creating: boolean) => boolean) {
    super();
  }
  /** Whether the chosen write did fail. */
  crashed = false;
  override async put(pipeline: string, shard: string, body: Uint8Array, etag: string | undefined) {
    if (!this.crashed && this.failOnce(shard, etag === undefined)) {
      this.crashed = true;
      throw new Error(`crashed before writing ${shard}`);
    }
    return super.put(pipeline, shard, body, etag);
  }
}

/**
 * The parent gets ann's and bob's first clicks, the stream splits, then each child gets more of
 * its user's clicks; everything is closed at the end by a flush far in the future.
 */
async function runAcrossSplit(
  stateStore = new MemoryStateStore(),
  betweenAttempts: (deps: ReturnType<typeof memoryDeps>['deps']) => Promise<void> = async () => {},
) {
  let wall = 1_800_000_000_000;
  const { deps, aggregates } = memoryDeps({ stateStore, lineage: splitLineage(), now: () => wall });
  const batch = (records: ReturnType<typeof clickRecords>) => aggregateBatch(records, deps);
  await batch(
    clickRecords([click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)], 1, PARENT),
  );
  const left = clickRecords([click(ann, T0 + 40 * S), click(ann, T0 + 90 * S)], 10, LEFT);
  const first = await batch(left);
  if (first.response.batchItemFailures.length > 0) {
    await betweenAttempts(deps);
    await batch(left);
  }
  await batch(clickRecords([click(bob, T0 + 50 * S)], 20, RIGHT));
  wall += 24 * 3600 * S;
  await flushIdleShards({ ...deps, idleTimeoutMs: 0 });
  const rows = (aggregates.records as AggregateRecord[]).map(
    (r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`,
  );
  return { rows: rows.sort(), deps, stateStore };
}

const EXPECTED = [
  `${ann} 0s clicks=3 on ${LEFT}`,
  `${ann} 60s clicks=1 on ${LEFT}`,
  `${bob} 0s clicks=2 on ${RIGHT}`,
].sort();

describe('state across a shard split', () => {
  it("continues each key's open windows on the child its records now go to: one row per window, all records", async () => {
    // Act
    const { rows, stateStore } = await runAcrossSplit();

    // Assess
    expect(rows).toEqual(EXPECTED);
    const parent = await stateStore.get('test-clicks', PARENT);
    const left = await stateStore.get('test-clicks', LEFT);
    if (!parent || !left || 'notModified' in parent || 'notModified' in left)
      throw new Error('checkpoints expected');
    expect(decodeCheckpoint(parent.body).handingOver).toEqual([]);
    expect(decodeCheckpoint(left.body).inheritedFrom).toEqual([]);
  });

  it("hands each child the redriven records its parent still had queued for the child's keys", async () => {
    // Prepare: the parent's first batch, then a redrive queues a click of each user in the parent
    let wall = 1_800_000_000_000;
    const { deps, aggregates, late, stateStore } = memoryDeps({ lineage: splitLineage(), now: () => wall });
    await aggregateBatch(
      clickRecords([click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)], 1, PARENT),
      deps,
    );
    const redriven = clickRecords([click(ann, T0 + 15 * S), click(bob, T0 + 25 * S)], 5, PARENT);
    await queueRedrive(PARENT, redriven, { from: sequenceNumber(5), to: sequenceNumber(6) }, deps);

    // Act: the stream splits; each child's first batch takes its keys over
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S), click(ann, T0 + 90 * S)], 10, LEFT), deps);
    await aggregateBatch(clickRecords([click(bob, T0 + 50 * S)], 20, RIGHT), deps);
    wall += DAY;
    await flushIdleShards({ ...deps, idleTimeoutMs: 0 });

    // Assess: each queued click taken once, by the child of its key, after that child's own batch:
    // ann's first window had closed by then (late there), bob's had not; none left with the parent
    const rows = (aggregates.records as AggregateRecord[]).map(
      (r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`,
    );
    expect(rows.sort()).toEqual(
      [
        `${ann} 0s clicks=3 on ${LEFT}`,
        `${ann} 60s clicks=1 on ${LEFT}`,
        `${bob} 0s clicks=3 on ${RIGHT}`,
      ].sort(),
    );
    expect(late.records).toEqual([
      expect.objectContaining({ key: ann, ts: T0 + 15 * S, shard: LEFT, sequence_number: sequenceNumber(5) }),
    ]);
    const parent = await stateStore.get('test-clicks', PARENT);
    if (!parent || 'notModified' in parent) throw new Error('parent checkpoint expected');
    expect(decodeCheckpoint(parent.body).redriveInbox).toEqual([]);
  });

  it('without a lineage, the same split gives the partial rows the handover exists to avoid', async () => {
    // Prepare
    let wall = 1_800_000_000_000;
    const { deps, aggregates } = memoryDeps({ now: () => wall });

    // Act
    await aggregateBatch(
      clickRecords([click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)], 1, PARENT),
      deps,
    );
    await aggregateBatch(clickRecords([click(ann, T0 + 40 * S), click(ann, T0 + 90 * S)], 10, LEFT), deps);
    await aggregateBatch(clickRecords([click(bob, T0 + 50 * S)], 20, RIGHT), deps);
    wall += 24 * 3600 * S;
    await flushIdleShards({ ...deps, idleTimeoutMs: 0 });

    // Assess: ann's first window lands twice, 2 + 1 clicks under two ids.
    const annFirst = (aggregates.records as AggregateRecord[]).filter(
      (r) => r.key === ann && r.window_start === T0,
    );
    expect(annFirst.map((r) => r.values?.clicks).sort()).toEqual([1, 2]);
    expect(new Set(annFirst.map((r) => r.id)).size).toBe(2);
  });

  it('crashing after marking the parent: the flush leaves the parent alone, the retry completes the handover', async () => {
    // Prepare: the child's checkpoint cannot be created the first time.
    const store = new CrashingStateStore((shard, creating) => shard === LEFT && creating);
    let flushedMeanwhile: Awaited<ReturnType<typeof flushIdleShards>> | undefined;

    // Act
    const { rows } = await runAcrossSplit(store, async (deps) => {
      flushedMeanwhile = await flushIdleShards({ ...deps, idleTimeoutMs: 0, now: () => 1_900_000_000_000 });
    });

    // Assess
    expect(store.crashed).toBe(true);
    expect(flushedMeanwhile?.shardsFlushed).toBe(0);
    expect(rows).toEqual(EXPECTED);
  });

  it('warns when a handover stays open long after it began (the child keeps failing)', async () => {
    // Prepare: the child's checkpoint is never created; the flush runs 20 minutes later.
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (message: string) => warnings.push(message) };
    let wall = 1_800_000_000_000;
    const { deps } = memoryDeps({
      stateStore: new CrashingStateStore((shard, creating) => shard === LEFT && creating),
      lineage: splitLineage(),
      now: () => wall,
      logger,
    });
    await aggregateBatch(clickRecords([click(ann, T0 + 10 * S)], 1, PARENT), deps);
    const failed = await aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 10, LEFT), deps);

    warnings.length = 0; // the failed batch's own warning
    // Act
    wall += 5 * 60 * S;
    await flushIdleShards({ ...deps, idleTimeoutMs: 0 });
    const early = [...warnings];
    wall += 15 * 60 * S;
    await flushIdleShards({ ...deps, idleTimeoutMs: 0 });

    // Assess
    expect(failed.response.batchItemFailures).toHaveLength(1);
    expect(early).toEqual([]);
    expect(warnings).toEqual([
      'shard handover not completed: its windows stay open until the child shards take them',
    ]);
  });

  it('crashing after creating the child: its next attempt removes the keys from the parent, once', async () => {
    // Prepare: the parent cannot be released the first time (its second write, after the mark).
    let parentWrites = 0;
    const store = new CrashingStateStore((shard) => shard === PARENT && ++parentWrites === 3);

    // Act
    const { rows } = await runAcrossSplit(store);

    // Assess
    expect(store.crashed).toBe(true);
    expect(rows).toEqual(EXPECTED);
    const parent = await store.get('test-clicks', PARENT);
    if (!parent || 'notModified' in parent) throw new Error('parent checkpoint expected');
    expect(decodeCheckpoint(parent.body).handingOver).toEqual([]);
  });
});

/** The children `shard` has in a lineage: the shards naming it as a parent. */
function childrenIn(shards: readonly ShardInfo[]) {
  return async (shard: string) =>
    shards.filter((s) => s.parentShardId === shard || s.adjacentParentShardId === shard);
}

describe('redriving records of a shard split since', () => {
  const splitShards: ShardInfo[] = [
    { shardId: PARENT, hashKeyRange: { start: 0n, end: MAX } },
    { shardId: LEFT, parentShardId: PARENT, hashKeyRange: { start: 0n, end: split } },
    { shardId: RIGHT, parentShardId: PARENT, hashKeyRange: { start: split + 1n, end: MAX } },
  ];

  /**
   * The parent's batch (ann, bob, ann), then a click of ann on the parent (sequence number 5) and
   * one of bob (6) that the mapping gave up on, their windows still open everywhere.
   */
  async function splitWithAFailedBatch() {
    let wall = 1_800_000_000_000;
    const harness = memoryDeps({ lineage: splitLineage(), now: () => wall });
    await aggregateBatch(
      clickRecords([click(ann, T0 + 10 * S), click(bob, T0 + 20 * S), click(ann, T0 + 30 * S)], 1, PARENT),
      harness.deps,
    );
    const failed = clickRecords([click(ann, T0 + 45 * S), click(bob, T0 + 55 * S)], 5, PARENT);
    const range = { from: sequenceNumber(5), to: sequenceNumber(6) };
    const redrive = (deps = harness.deps) =>
      queueRedrive(PARENT, failed, range, { ...deps, childrenOf: childrenIn(splitShards) });
    const left = () => aggregateBatch(clickRecords([click(ann, T0 + 40 * S)], 10, LEFT), harness.deps);
    const right = () => aggregateBatch(clickRecords([click(bob, T0 + 50 * S)], 20, RIGHT), harness.deps);
    const checkpoint = async (shard: string) =>
      (await readCheckpoint(harness.stateStore, clicksPipeline.name, shard))?.checkpoint;
    const closeEverything = async () => {
      wall += DAY;
      await flushIdleShards({ ...harness.deps, idleTimeoutMs: 0 });
      return (harness.aggregates.records as AggregateRecord[])
        .map((r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`)
        .sort();
    };
    return { ...harness, redrive, left, right, checkpoint, closeEverything };
  }

  it('queues each record in the child that took its key over, and counts it there once', async () => {
    // Prepare: both children have taken their keys over
    const { deps, redrive, left, right, checkpoint, closeEverything } = await splitWithAFailedBatch();
    await left();
    await right();

    // Act: a copy of the message comes again after LEFT's next batch
    const first = await redrive();
    await aggregateBatch(clickRecords([click(ann, T0 + 42 * S)], 11, LEFT), deps);
    const second = await redrive();

    // Assess: ann's click waits in LEFT, bob's in RIGHT, each range recorded under the parent's
    // name; the second copy finds both taken; each window counts its click once
    expect(first).toEqual({ redriven: 2, waiting: 2, skipped: 0 });
    expect(second).toEqual({ redriven: 0, waiting: 0, skipped: 2 });
    expect((await checkpoint(LEFT))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(5)]);
    expect((await checkpoint(RIGHT))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(6)]);
    expect((await checkpoint(LEFT))?.redrivenFrom).toEqual([
      { shard: PARENT, from: sequenceNumber(5), to: sequenceNumber(6), at: expect.any(Number) },
    ]);
    expect((await checkpoint(LEFT))?.redriven).toEqual([]);
    expect((await checkpoint(PARENT))?.redriveInbox).toEqual([]);
    // The parent records the range too, written last: its idle flush moves past it.
    expect((await checkpoint(PARENT))?.redriven).toEqual([
      { from: sequenceNumber(5), to: sequenceNumber(6), at: expect.any(Number) },
    ]);
    expect(await closeEverything()).toEqual(
      [`${ann} 0s clicks=5 on ${LEFT}`, `${bob} 0s clicks=3 on ${RIGHT}`].sort(),
    );
  });

  it('queues in the parent the records of a child that has not taken its keys over yet, which its first batch takes', async () => {
    // Prepare: only LEFT has had a batch
    const { redrive, left, right, checkpoint, closeEverything } = await splitWithAFailedBatch();
    await left();

    // Act
    const first = await redrive();
    await right();
    const second = await redrive();

    // Assess: ann's click went to LEFT, bob's waited in the parent and moved to RIGHT with his
    // windows; a second copy afterwards finds both taken (in LEFT, and in the parent's own record)
    expect(first).toEqual({ redriven: 2, waiting: 2, skipped: 0 });
    expect(second).toEqual({ redriven: 0, waiting: 0, skipped: 2 });
    expect((await checkpoint(PARENT))?.redriven).toEqual([
      { from: sequenceNumber(5), to: sequenceNumber(6), at: expect.any(Number) },
    ]);
    expect((await checkpoint(PARENT))?.redriveInbox).toEqual([]);
    expect(await closeEverything()).toEqual(
      [`${ann} 0s clicks=4 on ${LEFT}`, `${bob} 0s clicks=3 on ${RIGHT}`].sort(),
    );
  });

  it("keeps what a redrive recorded in a child when the child's batch writes after it", async () => {
    // Prepare: both children took over; the redrive queues between LEFT's next batch's read and
    // its write
    const { deps, stateStore, redrive, left, right, checkpoint } = await splitWithAFailedBatch();
    await left();
    await right();
    let raced = false;
    const racing = Object.assign(Object.create(stateStore) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (!raced && args[1] === LEFT) {
          raced = true;
          await redrive();
        }
        return stateStore.put(...args);
      },
    });

    // Act
    const outcome = await aggregateBatch(clickRecords([click(ann, T0 + 42 * S)], 11, LEFT), {
      ...deps,
      stateStore: racing,
      checkpointCache: undefined,
    });

    // Assess: the batch wrote again, keeping the queued click and its range
    expect(raced).toBe(true);
    expect(outcome.response.batchItemFailures).toEqual([]);
    const after = await checkpoint(LEFT);
    expect(after?.position?.sequenceNumber).toBe(sequenceNumber(11));
    expect(after?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(5)]);
    expect(after?.redrivenFrom).toHaveLength(1);
    expect(await redrive()).toEqual({ redriven: 0, waiting: 0, skipped: 2 });
  });

  it('leaves the records for a later run when a child takes its keys over while the redrive queues them', async () => {
    // Prepare: no child has had a batch when the redrive routes the records; LEFT's first batch
    // runs after the redrive read the parent to write it
    const { deps, left, checkpoint } = await splitWithAFailedBatch();
    const children = childrenIn(splitShards);
    let asked = 0;
    const failed = clickRecords([click(ann, T0 + 45 * S)], 5, PARENT);
    const racing = async (shard: string) => {
      if (++asked === 2) await left();
      return children(shard);
    };

    // Act
    const outcome = queueRedrive(
      PARENT,
      failed,
      { from: sequenceNumber(5), to: sequenceNumber(5) },
      {
        ...deps,
        childrenOf: racing,
      },
    );

    // Assess: nothing queued in the parent, whose keys LEFT holds now; the next run queues it there
    await expect(outcome).rejects.toMatchObject({
      kind: 'waiting',
      message: expect.stringContaining(`shard ${LEFT} took keys of ${PARENT} over`),
    });
    expect((await checkpoint(PARENT))?.redriveInbox).toEqual([]);
    const again = await queueRedrive(
      PARENT,
      failed,
      { from: sequenceNumber(5), to: sequenceNumber(5) },
      {
        ...deps,
        childrenOf: children,
      },
    );
    expect(again).toEqual({ redriven: 1, waiting: 1, skipped: 0 });
    expect((await checkpoint(LEFT))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(5)]);
  });
});

const MERGED = 'shardId-000000000003';
/** LEFT and RIGHT (halves of PARENT's range) merged into MERGED. */
const mergedShards: ShardInfo[] = [
  { shardId: PARENT, hashKeyRange: { start: 0n, end: MAX } },
  { shardId: LEFT, parentShardId: PARENT, hashKeyRange: { start: 0n, end: split } },
  { shardId: RIGHT, parentShardId: PARENT, hashKeyRange: { start: split + 1n, end: MAX } },
  {
    shardId: MERGED,
    parentShardId: LEFT,
    adjacentParentShardId: RIGHT,
    hashKeyRange: { start: 0n, end: MAX },
  },
];

/** In-memory aggregator dependencies on the merged lineage, and the rows once everything is closed. */
function onMergedLineage() {
  let wall = 1_800_000_000_000;
  const { deps, aggregates } = memoryDeps({
    lineage: { describe: async (_, id) => mergedShards.find((s) => s.shardId === id) },
    now: () => wall,
  });
  let current = deps;
  const batch = (clicks: Parameters<typeof clickRecords>[0], first: number, shard: string) =>
    aggregateBatch(clickRecords(clicks, first, shard), current);
  /** A deploy of another definition: the batches and flushes from now on run it. */
  const deploy = (pipeline: typeof clicksPipeline) => {
    current = { ...deps, pipeline, engine: pipeline.createEngine() };
  };
  const rows = () =>
    (aggregates.records as AggregateRecord[])
      .map((r) => `${r.key} ${(r.window_start - T0) / S}s clicks=${r.values?.clicks} on ${r.shard}`)
      .sort();
  const closeEverything = async () => {
    wall += 24 * 3600 * S;
    await flushIdleShards({ ...current, idleTimeoutMs: 0 });
    return rows();
  };
  return { batch, rows, closeEverything, deploy };
}

describe('state across a shard merge', () => {
  it('takes both parents\u2019 keys', async () => {
    // Prepare
    const { batch, closeEverything } = onMergedLineage();
    await batch([click(ann, T0 + 10 * S)], 1, LEFT);
    await batch([click(bob, T0 + 50 * S)], 5, RIGHT);

    // Act
    const merged = await batch([click(ann, T0 + 20 * S), click(bob, T0 + 55 * S)], 10, MERGED);

    // Assess
    expect(merged.stats.lateRecords).toBe(0);
    expect(await closeEverything()).toEqual(
      [`${ann} 0s clicks=2 on ${MERGED}`, `${bob} 0s clicks=2 on ${MERGED}`].sort(),
    );
  });

  it('merges parents drained under the definition before a deploy into the new one', async () => {
    // Prepare: both parents drained (their windows closed by the idle flush), at different stream times
    const { batch, closeEverything, deploy } = onMergedLineage();
    await batch([click(ann, T0 + 10 * S)], 1, LEFT);
    await batch([click(bob, T0 + 50 * S)], 5, RIGHT);
    const drained = await closeEverything();
    deploy(withTop);

    // Act
    const merged = await batch([click(ann, T0 + 3 * DAY), click(bob, T0 + 3 * DAY + S)], 10, MERGED);

    // Assess: the old windows were emitted once; the merged shard aggregates under the new definition
    expect(drained).toEqual([`${ann} 0s clicks=1 on ${LEFT}`, `${bob} 0s clicks=1 on ${RIGHT}`].sort());
    expect(merged.response.batchItemFailures).toEqual([]);
    expect(merged.stats).toMatchObject({ recordsIn: 2, lateRecords: 0 });
  });

  it('closes on the way the windows of the slower parent that the merged stream time has passed', async () => {
    // Prepare: LEFT's stream time is 65 s (ann's [0, 60) still open until 70 s), RIGHT's 71 s.
    const { batch, rows, closeEverything } = onMergedLineage();
    await batch([click(ann, T0 + 65 * S), click(ann, T0 + 50 * S)], 1, LEFT);
    await batch([click(bob, T0 + 71 * S)], 5, RIGHT);

    // Act
    const merged = await batch([click(bob, T0 + 72 * S)], 10, MERGED);
    const afterFirstBatch = rows();

    // Assess: ann's [0, 60) is sent by the merged shard's first batch (it was open in LEFT, and the
    // merged stream time, 71 s, has passed its end + grace).
    expect(merged.response.batchItemFailures).toEqual([]);
    expect(afterFirstBatch).toEqual([`${ann} 0s clicks=1 on ${MERGED}`]);
    expect(await closeEverything()).toEqual(
      [
        `${ann} 0s clicks=1 on ${MERGED}`,
        `${ann} 60s clicks=1 on ${MERGED}`,
        `${bob} 60s clicks=2 on ${MERGED}`,
      ].sort(),
    );
  });

  it('takes a grandparent\u2019s keys once when a split is merged back before either half had a batch', async () => {
    // Prepare: PARENT's halves, LEFT and RIGHT, are merged without ever being read.
    const { batch, closeEverything } = onMergedLineage();
    await batch([click(ann, T0 + 10 * S), click(bob, T0 + 20 * S)], 1, PARENT);

    // Act
    const merged = await batch([click(ann, T0 + 30 * S)], 10, MERGED);

    // Assess
    expect(merged.response.batchItemFailures).toEqual([]);
    expect(await closeEverything()).toEqual(
      [`${ann} 0s clicks=2 on ${MERGED}`, `${bob} 0s clicks=1 on ${MERGED}`].sort(),
    );
  });
});
