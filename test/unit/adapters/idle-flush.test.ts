import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import { SkippedCheckpointsError } from '../../../functions/adapters/errors.js';
import { decodeCheckpoint } from '../../../functions/adapters/state/checkpoint.js';
import type { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { definePipeline } from '../../../functions/core/pipeline.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const MIN = 60_000;
const WALL = 1_800_000_000_000;

async function storedCheckpoint(store: MemoryStateStore) {
  const [shard] = await store.list(clicksPipeline.name);
  const stored = await store.get(clicksPipeline.name, shard ?? '');
  if (!stored || 'notModified' in stored) throw new Error('no checkpoint stored');
  return decodeCheckpoint(stored.body);
}

async function quietShard() {
  let wall = WALL;
  const harness = memoryDeps({ now: () => wall });
  // The last record at T0+30s: [T0, T0+1m) stays open (it closes at stream time T0+1m10s).
  await aggregateBatch(clickRecords([click('ann', T0 + 1000), click('ann', T0 + 30_000)]), harness.deps);
  return { ...harness, setWall: (ms: number) => (wall = ms) };
}

/** A flush with a one-minute idle timeout, and the messages it logged as errors. */
/**
 * A flush with a one-minute idle timeout that is expected to skip a checkpoint: the messages it
 * logged as errors, and the SkippedCheckpointsError it failed the run with (after the other shards).
 */
async function flushSkipping(deps: Omit<Parameters<typeof flushIdleShards>[0], 'idleTimeoutMs'>) {
  const errors: string[] = [];
  const run = flushIdleShards({
    ...deps,
    idleTimeoutMs: MIN,
    logger: { info() {}, warn() {}, error: (message: string) => errors.push(message) },
  });
  const failure = await run.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(failure instanceof SkippedCheckpointsError))
    throw new Error(`expected a SkippedCheckpointsError, got ${failure}`);
  return { outcome: failure.outcome, skipped: failure.skipped.map((s) => s.shard), errors };
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

  it('skips a checkpoint of another pipeline definition that still holds windows, flushes the others, then fails the run', async () => {
    // Prepare: a quiet shard, and another one (listed first) written by a deploy that added an aggregation
    const { deps, aggregates, setWall } = await quietShard();
    const withMax = definePipeline({
      ...clicksPipeline.config,
      aggregations: { ...clicksPipeline.config.aggregations, top: { fn: 'max', field: (e) => e.amount } },
    });
    const other = { ...deps, pipeline: withMax, engine: withMax.createEngine() };
    await aggregateBatch(clickRecords([click('bob', T0 + 1000)], 1, 'shardId-000000000000'), other);
    setWall(WALL + 2 * MIN);

    // Act
    const { outcome, skipped, errors } = await flushSkipping(deps);

    // Assess
    expect(outcome).toMatchObject({ shardsChecked: 2, shardsFlushed: 1, windowsClosed: 1 });
    expect(aggregates.records).toEqual([expect.objectContaining({ key: 'ann' })]);
    expect(errors).toEqual(['checkpoint refused by the engine; shard skipped']);
    expect(skipped).toEqual(['shardId-000000000000']);
  });

  it('skips an unreadable checkpoint with an error, flushes the other shards, then fails the run', async () => {
    // Prepare: a quiet shard, and another shard whose checkpoint is not JSON (listed first).
    const { deps, aggregates, stateStore, setWall } = await quietShard();
    await stateStore.put(clicksPipeline.name, 'shardId-000000000000', Buffer.from('{not json'), undefined);
    setWall(WALL + 2 * MIN);

    // Act
    const { outcome, skipped, errors } = await flushSkipping(deps);

    // Assess
    expect(outcome).toMatchObject({ shardsChecked: 2, shardsFlushed: 1, windowsClosed: 1 });
    expect(aggregates.records).toHaveLength(1);
    expect(errors).toEqual(['checkpoint unreadable; shard skipped']);
    expect(skipped).toEqual(['shardId-000000000000']);
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
    // The aggregator's batch, then the flush: the state with the window pending, then without it.
    expect(stateStore.writes).toBe(3);
    expect((await storedCheckpoint(stateStore)).pending).toEqual([]);
  });

  it('loses a race with the aggregator having sent nothing: the next run starts from the new checkpoint', async () => {
    // Prepare: the aggregator's batch (a click of ann's at T0+45s, in the window the flush closes)
    // lands between the flush's read of the checkpoint and its write.
    const { deps, aggregates, stateStore, setWall } = await quietShard();
    setWall(WALL + 2 * MIN);
    const racing = Object.assign(Object.create(stateStore), {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        await aggregateBatch(clickRecords([click('ann', T0 + 45_000)], 3), deps);
        return stateStore.put(...args);
      },
    });

    // Act
    const lost = await flushIdleShards({ ...deps, stateStore: racing, idleTimeoutMs: MIN });
    const sentByTheLoser = [...aggregates.records];
    setWall(WALL + 5 * MIN);
    const next = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });

    // Assess: had the loser sent its result (2 clicks) it would share the right one's id (3 clicks)
    expect(lost).toMatchObject({ shardsFlushed: 0, windowsClosed: 0, conflicts: 1 });
    expect(sentByTheLoser).toEqual([]);
    expect(next).toMatchObject({ shardsFlushed: 1, windowsClosed: 1, conflicts: 0 });
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', window_start: T0, values: { clicks: 3, amount: 3 } }),
    ]);
  });

  it('commits before it sends: results it could not send stay pending, and the next batch sends them first', async () => {
    // Prepare: the aggregates stream is down during the flush.
    const { deps, aggregates, stateStore, setWall } = await quietShard();
    setWall(WALL + 2 * MIN);
    const down = { put: async () => Promise.reject(new Error('Firehose unavailable')) };

    // Act
    const flush = flushIdleShards({ ...deps, aggregates: down, idleTimeoutMs: MIN });
    await expect(flush).rejects.toThrow('Firehose unavailable');
    const pendingAfterFailure = (await storedCheckpoint(stateStore)).pending;
    await aggregateBatch(clickRecords([click('bob', T0 + 3 * MIN)], 3), deps);

    // Assess
    expect(pendingAfterFailure).toEqual([
      expect.objectContaining({ key: 'ann', window_start: T0, values: { clicks: 2, amount: 2 } }),
    ]);
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', window_start: T0, values: { clicks: 2, amount: 2 } }),
    ]);
    expect((await storedCheckpoint(stateStore)).pending).toEqual([]);
  });
});

describe('a batch on a quiet shard and the idle flush', () => {
  it('claims the shard before sending: a flush meanwhile leaves it alone, and one row per window is right', async () => {
    // Prepare: ann's window [T0, T0+1m) is open and the shard has been quiet for 2 minutes (flush
    // timeout 1 minute). A batch with another click of ann's in that window comes in; the flush
    // runs between the batch's claim and its final write.
    const { deps, aggregates, stateStore, setWall } = await quietShard();
    setWall(WALL + 2 * MIN);
    const flushes: Awaited<ReturnType<typeof flushIdleShards>>[] = [];
    let puts = 0;
    const flushBeforeTheFinalWrite = Object.assign(Object.create(stateStore), {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        puts++;
        if (puts === 2) flushes.push(await flushIdleShards({ ...deps, idleTimeoutMs: MIN }));
        return stateStore.put(...args);
      },
    });
    const batch = { ...deps, stateStore: flushBeforeTheFinalWrite, idleTimeoutMs: MIN };

    // Act
    const { response } = await aggregateBatch(clickRecords([click('ann', T0 + 45_000)], 3), batch, {
      deadlineMs: WALL + 2 * MIN + 30_000,
    });
    setWall(WALL + 5 * MIN);
    const later = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });

    // Assess: the claim and the final write; the flush in between closed nothing
    expect(response.batchItemFailures).toEqual([]);
    expect(puts).toBe(2);
    expect(flushes).toEqual([
      { shardsChecked: 1, shardsFlushed: 0, windowsClosed: 0, conflicts: 0, behind: 0 },
    ]);
    expect(later).toMatchObject({ shardsFlushed: 1, windowsClosed: 1 });
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', window_start: T0, values: { clicks: 3, amount: 3 } }),
    ]);
  });

  it('does not claim a busy shard: its last batch is too recent for any flush before the deadline', async () => {
    // Prepare: the last batch 5 s ago, a 60 s deadline, a 2 minute idle timeout
    const { deps, stateStore, setWall } = await quietShard();
    setWall(WALL + 5_000);
    const writesBefore = stateStore.writes;

    // Act
    await aggregateBatch(
      clickRecords([click('ann', T0 + 45_000)], 3),
      { ...deps, idleTimeoutMs: 2 * MIN },
      {
        deadlineMs: WALL + 65_000,
      },
    );

    // Assess: one write, the batch's own
    expect(stateStore.writes - writesBefore).toBe(1);
    expect((await storedCheckpoint(stateStore)).busyUntil).toBeNull();
  });
});

describe('a batch that sent its results and died, retried only after its claim ran out', () => {
  it('leaves the shard to the retry while its records are in the stream: one value per window, nothing late', async () => {
    // Prepare: ann's window [T0, T0+1m) is open and the shard has been quiet for 2 minutes. A batch
    // with a third click of ann's and one of bob's at T0+3m (which closes ann's window) claims the
    // shard, sends ann's window, and dies before its checkpoint write.
    const { deps, aggregates, late, backlog, stateStore, setWall } = await quietShard();
    setWall(WALL + 2 * MIN);
    const batch = clickRecords([click('ann', T0 + 45_000), click('bob', T0 + 3 * MIN)], 3);
    backlog.written(batch, WALL + 2 * MIN);
    let puts = 0;
    const diesBeforeItsWrite = Object.assign(Object.create(stateStore), {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        puts++;
        if (puts === 2) throw new Error('the invocation died');
        return stateStore.put(...args);
      },
    });
    await aggregateBatch(
      batch,
      { ...deps, stateStore: diesBeforeItsWrite, idleTimeoutMs: MIN },
      { deadlineMs: WALL + 2 * MIN + 30_000 },
    ).catch(() => undefined);
    const sentBeforeDying = [...aggregates.records];

    // Act: a flush after the claim ran out, then Lambda's retry of the batch, then a later flush
    setWall(WALL + 4 * MIN);
    const meanwhile = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });
    setWall(WALL + 5 * MIN);
    const retry = await aggregateBatch(
      batch,
      { ...deps, idleTimeoutMs: MIN },
      { deadlineMs: WALL + 6 * MIN },
    );
    setWall(WALL + 10 * MIN);
    const later = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });

    // Assess: the flush in between took nothing; the retry sent ann's window again, the same row
    expect(sentBeforeDying).toEqual([
      expect.objectContaining({ key: 'ann', window_start: T0, values: { clicks: 3, amount: 3 } }),
    ]);
    expect(meanwhile).toMatchObject({ shardsFlushed: 0, windowsClosed: 0, behind: 1 });
    expect(retry.response.batchItemFailures).toEqual([]);
    expect(later).toMatchObject({ shardsFlushed: 1, behind: 0 });
    const rows = aggregates.records as AggregateRecord[];
    const ann = rows.filter((r) => r.key === 'ann' && r.window_start === T0);
    expect(new Set(ann.map((r) => JSON.stringify([r.id, r.values])))).toEqual(
      new Set([JSON.stringify([(sentBeforeDying[0] as AggregateRecord).id, { clicks: 3, amount: 3 }])]),
    );
    expect(late.records).toEqual([]);
    expect(aggregates.records).toContainEqual(
      expect.objectContaining({ key: 'bob', values: { clicks: 1, amount: 1 } }),
    );
  });

  it('warns when a shard stays behind long after its last batch (its mapping may have given up on the records)', async () => {
    // Prepare: records after the checkpoint that never get applied
    const { deps, backlog, setWall } = await quietShard();
    backlog.written(clickRecords([click('ann', T0 + 45_000)], 3), WALL);
    const logged: { level: string; message: string }[] = [];
    const logger = {
      info: (message: string) => logged.push({ level: 'info', message }),
      warn: (message: string) => logged.push({ level: 'warn', message }),
      error: (message: string) => logged.push({ level: 'error', message }),
    };

    // Act: 2 minutes after the last batch, then 20
    setWall(WALL + 2 * MIN);
    const soon = await flushIdleShards({ ...deps, logger, idleTimeoutMs: MIN });
    setWall(WALL + 20 * MIN);
    const later = await flushIdleShards({ ...deps, logger, idleTimeoutMs: MIN });

    // Assess
    expect([soon.behind, later.behind]).toEqual([1, 1]);
    expect(logged.map((l) => `${l.level}: ${l.message.slice(0, 40)}`)).toEqual([
      'info: quiet shard left to the aggregator: its ',
      'warn: shard behind for long: its mapping may h',
    ]);
  });

  it('asks the stream only about a shard it would close windows of', async () => {
    // Prepare
    const { deps, backlog, setWall } = await quietShard();

    // Act: the first flush closes ann's window; the second finds nothing open
    setWall(WALL + 2 * MIN);
    await flushIdleShards({ ...deps, idleTimeoutMs: MIN });
    setWall(WALL + 3 * MIN);
    const second = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });

    // Assess
    expect(second).toMatchObject({ shardsChecked: 1, shardsFlushed: 0 });
    expect(backlog.checks).toHaveLength(1);
  });

  it('flushes a shard whose undelivered records are older than the mapping keeps them (discarded, not coming)', async () => {
    // Prepare: records after the checkpoint that arrived more than a day ago
    const { deps, aggregates, backlog, setWall } = await quietShard();
    backlog.written(clickRecords([click('ann', T0 + 45_000)], 3), WALL - 25 * 3600_000);
    setWall(WALL + 2 * MIN);

    // Act
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: MIN });

    // Assess
    expect(outcome).toMatchObject({ shardsFlushed: 1, windowsClosed: 1, behind: 0 });
    expect(aggregates.records).toHaveLength(1);
  });

  it('leaves a shard it cannot check alone, flushes the others, and then fails the run', async () => {
    // Prepare: two quiet shards; the stream cannot be read for the one listed first (ann's)
    const { deps, aggregates, stateStore, setWall } = await quietShard();
    await aggregateBatch(clickRecords([click('cid', T0 + 1000)], 1, 'shardId-000000000001'), deps);
    setWall(WALL + 2 * MIN);
    const [first] = await stateStore.list(clicksPipeline.name);
    const backlog = {
      hasUndelivered: async (shard: string) => {
        if (shard === first) throw new Error('Rate exceeded for shard');
        return false;
      },
    };

    // Act
    const flush = flushIdleShards({ ...deps, backlog, idleTimeoutMs: MIN });

    // Assess: the shard after it was still flushed; the error names the shard and the cause
    await expect(flush).rejects.toThrow(
      `backlog check failed for 1 shard(s), left alone this run: ${first}: Rate exceeded for shard`,
    );
    await expect(flush).rejects.toMatchObject({
      outcome: { shardsChecked: 2, shardsFlushed: 1, windowsClosed: 1 },
    });
    expect((aggregates.records as AggregateRecord[]).map((r) => r.key)).toEqual(['cid']);
  });
});
