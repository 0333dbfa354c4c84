import { describe, expect, it } from 'vitest';
import { aggregateBatch, redriveRange } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import {
  encodeCheckpoint,
  REDRIVE_MEMORY_MS,
  readCheckpoint,
} from '../../../functions/adapters/state/checkpoint.js';
import { sequenceNumber } from '../../fixtures/kinesis-events.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const SHARD = 'shardId-000000000006';
const S = 1000;

/**
 * One shard, 1-minute windows with 10 s grace: batches A and C applied, B between them given up on
 * by the mapping (its records stay in the stream). C took stream time to T0 + 80 s, which closed
 * [T0, T0 + 60 s) without B's click of bob.
 */
async function shardWithAFailedBatch() {
  let wall = 1_800_000_000_000;
  const harness = memoryDeps({ now: () => wall });
  const a = clickRecords([click('ann', T0 + 1 * S), click('ann', T0 + 20 * S)], 1);
  const b = clickRecords([click('bob', T0 + 30 * S), click('ann', T0 + 65 * S)], 3);
  const c = clickRecords([click('ann', T0 + 75 * S), click('carl', T0 + 80 * S)], 5);
  await aggregateBatch(a, harness.deps);
  await aggregateBatch(c, harness.deps);
  const range = (from: number, to: number) => ({ from: sequenceNumber(from), to: sequenceNumber(to) });
  const checkpoint = async () =>
    (await readCheckpoint(harness.stateStore, clicksPipeline.name, SHARD))?.checkpoint;
  return { ...harness, a, b, c, range, checkpoint, advance: (ms: number) => (wall += ms) };
}

describe('redriveRange: a batch the mapping gave up on, applied later', () => {
  it('aggregates what is still on time, sends the rest to late/, and leaves the position alone', async () => {
    // Prepare
    const { b, c, deps, range, late, aggregates, checkpoint } = await shardWithAFailedBatch();
    const position = (await checkpoint())?.position;

    // Act
    const stats = await redriveRange(SHARD, b, range(3, 4), deps);
    const retryOfC = await aggregateBatch(c, deps);
    const d = await aggregateBatch(clickRecords([click('ann', T0 + 140 * S)], 7), deps);

    // Assess: bob's window closed before the redrive (late); ann's at T0 + 65 s counts in its window
    expect(stats).toMatchObject({ recordsIn: 2, lateRecords: 1, skipped: 0 });
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', ts: T0 + 30 * S, window_start: T0, window_end: T0 + 60 * S }),
    ]);
    expect(retryOfC.stats).toMatchObject({ skipped: 2, recordsIn: 0 });
    expect(d.stats.recordsIn).toBe(1);
    expect((aggregates.records as AggregateRecord[]).map((r) => [r.key, r.window_start, r.values])).toEqual([
      ['ann', T0, { clicks: 2, amount: 2 }],
      ['ann', T0 + 60 * S, { clicks: 2, amount: 2 }],
      ['carl', T0 + 60 * S, { clicks: 1, amount: 1 }],
    ]);
    const after = await checkpoint();
    expect(after?.redriven).toEqual([{ ...range(3, 4), at: expect.any(Number) }]);
    expect(position?.sequenceNumber).toBe(sequenceNumber(6));
    expect(after?.position?.sequenceNumber).toBe(sequenceNumber(7));
  });

  it('applies a record once, however often its range is redriven', async () => {
    // Prepare: the first redrive took only bob's record (a message naming one record)
    const { b, deps, range, late, stateStore, checkpoint } = await shardWithAFailedBatch();
    await redriveRange(SHARD, b.slice(0, 1), range(3, 3), deps);
    const writes = stateStore.writes;

    // Act
    const overlapping = await redriveRange(SHARD, b, range(3, 4), deps);
    const again = await redriveRange(SHARD, b, range(3, 4), deps);

    // Assess: the overlap applied ann's record only; the repeat applied nothing and wrote nothing
    expect(overlapping).toMatchObject({ recordsIn: 1, skipped: 1, lateRecords: 0 });
    expect(again).toMatchObject({ recordsIn: 0, skipped: 2 });
    expect(late.records).toHaveLength(1);
    expect(stateStore.writes).toBe(writes + 1);
    expect((await checkpoint())?.redriven.map((r) => [r.from, r.to])).toEqual([
      [sequenceNumber(3), sequenceNumber(3)],
      [sequenceNumber(3), sequenceNumber(4)],
    ]);
  });

  it('forgets a range once no dead-letter message can name it any more', async () => {
    // Prepare
    const { b, deps, range, checkpoint, advance } = await shardWithAFailedBatch();
    await redriveRange(SHARD, b, range(3, 4), deps);

    // Act: the next batch comes after the queue's retention
    advance(REDRIVE_MEMORY_MS);
    await aggregateBatch(clickRecords([click('ann', T0 + 90 * S)], 7), deps);

    // Assess
    expect((await checkpoint())?.redriven).toEqual([]);
  });

  it('refuses a shard handing its keys over to its children, and writes nothing', async () => {
    // Prepare: a handover in progress (shard-handover.ts, step 1)
    const { b, deps, range, stateStore, checkpoint } = await shardWithAFailedBatch();
    const current = await readCheckpoint(stateStore, clicksPipeline.name, SHARD);
    const body = encodeCheckpoint({
      ...(current?.checkpoint as NonNullable<typeof current>['checkpoint']),
      handingOver: ['shardId-000000000007'],
    });
    await stateStore.put(clicksPipeline.name, SHARD, body, current?.etag);
    const writes = stateStore.writes;

    // Act
    const attempt = redriveRange(SHARD, b, range(3, 4), deps);

    // Assess
    await expect(attempt).rejects.toThrow(/handing its keys over to shardId-000000000007/);
    expect(stateStore.writes).toBe(writes);
    expect((await checkpoint())?.redriven).toEqual([]);
  });
});
