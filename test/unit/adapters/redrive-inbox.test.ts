import { describe, expect, it, vi } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import {
  inboxForBatch,
  MAX_INBOX_RECORDS,
  toInbox,
} from '../../../functions/adapters/aggregator/redrive-inbox.js';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { aggregateRecords } from '../../../functions/adapters/kinesis/kpl.js';
import { queueRedrive } from '../../../functions/adapters/redrive/queue-redrive.js';
import {
  encodeCheckpoint,
  type InboxRecord,
  REDRIVE_MEMORY_MS,
  readCheckpoint,
  type StoredCheckpoint,
} from '../../../functions/adapters/state/checkpoint.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { kinesisRecord, sequenceNumber } from '../../fixtures/kinesis-events.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, failingPut, memoryDeps } from './aggregator-harness.js';

const SHARD = 'shardId-000000000006';
const S = 1000;
const range = (from: number, to: number) => ({ from: sequenceNumber(from), to: sequenceNumber(to) });

/**
 * One shard, 1-minute windows with 10 s grace: batches A and C applied, B between them given up on
 * by the mapping (its records stay in the stream). C took stream time to T0 + 80 s, which closed
 * [T0, T0 + 60 s) without B's click of bob; B's click of ann at T0 + 65 s is still on time.
 */
async function shardWithAFailedBatch(stateStore = new MemoryStateStore()) {
  let wall = 1_800_000_000_000;
  const harness = memoryDeps({ now: () => wall, stateStore });
  const a = clickRecords([click('ann', T0 + 1 * S), click('ann', T0 + 20 * S)], 1);
  const b = clickRecords([click('bob', T0 + 30 * S), click('ann', T0 + 65 * S)], 3);
  const c = clickRecords([click('ann', T0 + 75 * S), click('carl', T0 + 80 * S)], 5);
  await aggregateBatch(a, harness.deps);
  await aggregateBatch(c, harness.deps);
  const checkpoint = async () => (await readCheckpoint(stateStore, clicksPipeline.name, SHARD))?.checkpoint;
  const queue = (records = b, r = range(3, 4)) => queueRedrive(SHARD, records, r, harness.deps);
  return { ...harness, stateStore, a, b, c, checkpoint, queue, advance: (ms: number) => (wall += ms) };
}

const results = (records: object[]) =>
  (records as AggregateRecord[]).map((r) => [r.key, r.window_start, r.values]);

describe('queueRedrive', () => {
  it('sends the records of closed windows to late/, queues the others in the shard inbox and records the range, moving nothing', async () => {
    // Prepare
    const { queue, checkpoint, aggregates, late } = await shardWithAFailedBatch();
    const before = await checkpoint();

    // Act
    const queued = await queue();

    // Assess: bob's click at T0 + 30 s is late (its window closed at T0 + 70 s), ann's at T0 + 65 s waits
    expect(queued).toEqual({ redriven: 2, waiting: 1, skipped: 0 });
    const after = await checkpoint();
    expect(after?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(4)]);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', sequence_number: sequenceNumber(3), stream_time: T0 + 80 * S }),
    ]);
    expect(after?.pendingLate).toEqual([]);
    expect(after?.redriven).toEqual([{ ...range(3, 4), at: expect.any(Number) }]);
    expect(after?.position).toEqual(before?.position);
    expect(after?.engine).toEqual(before?.engine);
    expect(after?.updatedAt).toBe(before?.updatedAt);
    expect(aggregates.records).toHaveLength(1);
  });

  it('queues a record once, however often its range is redriven', async () => {
    // Prepare: a first message named bob's record only
    const { b, queue, checkpoint, late } = await shardWithAFailedBatch();
    await queue(b.slice(0, 1), range(3, 3));

    // Act
    const overlapping = await queue(b, range(3, 4));
    const again = await queue(b, range(3, 4));

    // Assess
    expect(overlapping).toEqual({ redriven: 1, waiting: 1, skipped: 1 });
    expect(again).toEqual({ redriven: 0, waiting: 0, skipped: 2 });
    expect((await checkpoint())?.redriveInbox).toHaveLength(1);
    expect(late.records).toEqual([expect.objectContaining({ key: 'bob' })]);
  });

  it('takes a batch of more late records than may wait, as none of them waits', async () => {
    // Prepare: KPL records holding 10,001 clicks of bob, all of a closed window
    const { queue, checkpoint, late } = await shardWithAFailedBatch();
    const users = Array.from({ length: MAX_INBOX_RECORDS + 1 }, () => click('bob', T0 + 30 * S)).map((c) => ({
      partitionKey: c.user,
      data: Buffer.from(encodeEnvelope({ pipeline: clicksPipeline.name, key: c.user, ts: c.at, event: c })),
    }));
    const first = BigInt(sequenceNumber(3));
    const kpl = aggregateRecords(users).map((entry, i) => {
      const record = kinesisRecord({ data: entry.data, partitionKey: entry.partitionKey, n: 3 });
      return { ...record, kinesis: { ...record.kinesis, sequenceNumber: (first + BigInt(i)).toString() } };
    });
    const last = kpl.at(-1)?.kinesis.sequenceNumber ?? '';

    // Act
    const queued = await queue(kpl, { from: sequenceNumber(3), to: last });

    // Assess
    expect(queued).toEqual({ redriven: kpl.length, waiting: 0, skipped: 0 });
    expect(late.records).toHaveLength(MAX_INBOX_RECORDS + 1);
    const after = await checkpoint();
    expect(after?.pendingLate).toEqual([]);
    expect(after?.redriveInbox).toEqual([]);
  });

  it('fails on a send error that will not pass, its late records committed and left to the shard', async () => {
    // Prepare: the late stream refuses the redrive (a missing permission)
    const { b, deps, checkpoint, late } = await shardWithAFailedBatch();
    const denied = {
      put: async () => {
        throw Object.assign(new Error('not authorized'), {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        });
      },
    };

    // Act
    const outcome = queueRedrive(SHARD, b, range(3, 4), { ...deps, late: denied });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(late.records).toEqual([]);
    expect((await checkpoint())?.pendingLate.map((r) => r.key)).toEqual(['bob']);
  });

  it('says so when it sent its late records and could not clear them', async () => {
    // Prepare: the write that clears them fails (S3 503)
    const store = new MemoryStateStore();
    const { b, deps, checkpoint, late } = await shardWithAFailedBatch(store);
    const failingClear = failingPut(store, 2);
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (message: string) => void warnings.push(message) };

    // Act
    const queued = await queueRedrive(SHARD, b, range(3, 4), {
      ...deps,
      stateStore: failingClear,
      logger,
    });

    // Assess
    expect(queued).toEqual({ redriven: 2, waiting: 1, skipped: 0 });
    expect(late.records).toHaveLength(1);
    expect((await checkpoint())?.pendingLate).toHaveLength(1);
    expect(warnings).toEqual([
      'redriven records sent, still pending in the checkpoint: the shard may send them again',
    ]);
  });

  it('waits for a shard without a checkpoint, one handing over, and a full inbox', async () => {
    // Prepare
    const { b, deps, stateStore, queue } = await shardWithAFailedBatch();
    const elsewhere = queueRedrive('shardId-000000000009', b, range(3, 4), deps);
    const current = await readCheckpoint(stateStore, clicksPipeline.name, SHARD);
    if (!current) throw new Error('no checkpoint');
    const full = {
      ...current.checkpoint,
      // Records of an open window (ann's, at T0 + 65 s): they wait, and the redrive's ann waits too.
      redriveInbox: Array.from({ length: MAX_INBOX_RECORDS }, () => toInbox(b.slice(1))[0] as InboxRecord),
    };
    const fullEtag = await stateStore.put(clicksPipeline.name, SHARD, encodeCheckpoint(full), current.etag);

    // Act
    const tooMany = queue();
    await expect(elsewhere).rejects.toMatchObject({
      kind: 'waiting',
      message: expect.stringContaining('has no checkpoint yet'),
    });
    await expect(tooMany).rejects.toMatchObject({
      kind: 'waiting',
      message: expect.stringContaining(`at most ${MAX_INBOX_RECORDS} records and 16 MiB wait at once`),
    });
    const handing = { ...current.checkpoint, handingOver: ['shardId-000000000007'] };
    await stateStore.put(clicksPipeline.name, SHARD, encodeCheckpoint(handing), fullEtag);

    // Assess
    await expect(queue()).rejects.toMatchObject({
      kind: 'resharded',
      message: expect.stringContaining('handing its keys over to shardId-000000000007'),
    });
  });
});

describe("the redrive inbox, applied by the shard's own flow", () => {
  it('a batch applies a queued record of an open window after its own records: it counts in its window', async () => {
    // Prepare
    const { queue, deps, aggregates, late, checkpoint } = await shardWithAFailedBatch();
    await queue();

    // Act: a batch takes stream time to T0 + 100 s (ann's window [T0 + 60 s, T0 + 120 s) still
    // open), then one to T0 + 140 s closes it
    const d = await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), deps);
    const kept = (await checkpoint())?.redriveInbox;
    await aggregateBatch(clickRecords([click('eve', T0 + 140 * S)], 8), deps);

    // Assess: ann's click at T0 + 65 s counts in its window, on a shard that was never quiet
    expect(d.stats).toMatchObject({ recordsIn: 2, lateRecords: 0, windowsClosed: 0 });
    expect(kept).toEqual([]);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', sequence_number: sequenceNumber(3) }),
    ]);
    expect(results(aggregates.records)).toEqual([
      ['ann', T0, { clicks: 2, amount: 2 }],
      ['ann', T0 + 60 * S, { clicks: 2, amount: 2 }],
      ['carl', T0 + 60 * S, { clicks: 1, amount: 1 }],
      ['dan', T0 + 60 * S, { clicks: 1, amount: 1 }],
    ]);
  });

  it('leaves the queue alone when the engine emits updates: every change would emit', async () => {
    // Prepare
    const { queue, deps, checkpoint } = await shardWithAFailedBatch();
    await queue();
    const stored = await checkpoint();
    const updating = { ...deps, engine: { ...deps.engine, emit: 'updates' as const } };

    // Act
    const finals = inboxForBatch(stored, deps, T0 + 100 * S);
    const updates = inboxForBatch(stored, updating, T0 + 100 * S);

    // Assess
    expect(finals?.taken).toEqual(new Set([sequenceNumber(4)]));
    expect(updates).toBeUndefined();
  });

  it('a batch leaves a queued record past its stream time to the idle flush, which applies it once the shard is quiet', async () => {
    // Prepare: a redriven click at T0 + 110 s, past the stream time the next batch reaches
    const { queue, deps, aggregates, checkpoint, advance } = await shardWithAFailedBatch();
    await queue(clickRecords([click('ann', T0 + 110 * S)], 0), range(0, 0));

    // Act: a batch (stream time to T0 + 100 s), then five quiet minutes and the flush
    const d = await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), deps);
    const kept = (await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber);
    advance(5 * 60_000);
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess: applied, it would have moved stream time on the queue's account; the flush applied it
    expect(d.stats).toMatchObject({ recordsIn: 1 });
    expect(kept).toEqual([sequenceNumber(0)]);
    expect(outcome).toMatchObject({ shardsFlushed: 1 });
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 60 * S, { clicks: 2, amount: 2 }]);
    expect((await checkpoint())?.redriveInbox).toEqual([]);
  });

  it('a batch applies, after its write, the queued records whose windows have closed since', async () => {
    // Prepare
    const { queue, deps, aggregates, late, checkpoint } = await shardWithAFailedBatch();
    await queue();

    // Act: a batch takes stream time to T0 + 140 s, past ann's window's close at T0 + 130 s
    const d = await aggregateBatch(clickRecords([click('dan', T0 + 140 * S)], 7), deps);

    // Assess: the window closed without ann's redriven click, which went to late/ after it
    expect(d.stats).toMatchObject({ recordsIn: 2, lateRecords: 1 });
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 60 * S, { clicks: 1, amount: 1 }]);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob' }),
      expect.objectContaining({ key: 'ann', sequence_number: sequenceNumber(4), stream_time: T0 + 140 * S }),
    ]);
    const after = await checkpoint();
    expect(after?.redriveInbox).toEqual([]);
    expect(after?.pendingLate).toEqual([]);
  });

  it("a batch whose send of a queued record's late row fails is retried whole and sends it then", async () => {
    // Prepare: the late stream refuses the first put of ann's redriven click (its window closed by
    // the batch) (throttled)
    const { queue, deps, late, checkpoint } = await shardWithAFailedBatch();
    await queue();
    let throttled = false;
    const flaky = {
      put: async (records: readonly object[]) => {
        if (!throttled && records.some((r) => (r as { key?: string }).key === 'ann')) {
          throttled = true;
          throw Object.assign(new Error('throttled'), { name: 'ServiceUnavailableException' });
        }
        return late.put(records);
      },
    };
    const batch = clickRecords([click('dan', T0 + 140 * S)], 7);

    // Act
    const first = await aggregateBatch(batch, { ...deps, late: flaky });
    const retry = await aggregateBatch(batch, { ...deps, late: flaky });

    // Assess: nothing written by the first attempt; the retry sent ann's late row
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.kinesis.sequenceNumber }]);
    expect(retry.response.batchItemFailures).toEqual([]);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob' }),
      expect.objectContaining({ key: 'ann', ts: T0 + 65 * S }),
    ]);
    expect(retry.stats.lateRecords).toBe(1);
    expect((await checkpoint())?.redriveInbox).toEqual([]);
  });

  it('a batch near its deadline still takes the queued records it reaches: they go out with its own output', async () => {
    // Prepare
    const { queue, deps, late, checkpoint } = await shardWithAFailedBatch();
    await queue();

    // Act: 5 s left after the write
    await aggregateBatch(clickRecords([click('dan', T0 + 140 * S)], 7), deps, {
      deadlineMs: 1_800_000_000_000 + 5_000,
    });

    // Assess
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob' }),
      expect.objectContaining({ key: 'ann' }),
    ]);
    expect((await checkpoint())?.redriveInbox).toEqual([]);
  });

  it('a batch takes the queued records up to the stream time it reaches, KPL poison included, and leaves those past it', async () => {
    // Prepare: the shard at T0 + 80 s; queued: a KPL record of ann's click at T0 + 90 s (past the
    // shard's stream time, before the batch's) and a user record that is not JSON, and ann's click
    // at T0 + 110 s (past the batch's)
    const { queue, deps, deadLetters, aggregates, checkpoint } = await shardWithAFailedBatch();
    const users = [
      {
        partitionKey: 'ann',
        data: Buffer.from(
          encodeEnvelope({
            pipeline: clicksPipeline.name,
            key: 'ann',
            ts: T0 + 90 * S,
            event: click('ann', T0 + 90 * S),
          }),
        ),
      },
      { partitionKey: 'ann', data: Buffer.from('not json') },
    ];
    const [aggregated] = aggregateRecords(users);
    if (!aggregated) throw new Error('expected one aggregated record');
    const kpl = kinesisRecord({ data: aggregated.data, partitionKey: aggregated.partitionKey, n: 0 });
    await queue([kpl], range(0, 0));
    await queue(clickRecords([click('ann', T0 + 110 * S)], 3), range(3, 3));

    // Act: batches to T0 + 100 s and T0 + 115 s, then one that closes ann's window
    // [T0 + 60 s, T0 + 120 s)
    const d = await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), deps);
    const kept = (await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber);
    const lettersAfterBatch = deadLetters.letters.length;
    await aggregateBatch(clickRecords([click('eve', T0 + 115 * S)], 8), deps);
    await aggregateBatch(clickRecords([click('fay', T0 + 140 * S)], 9), deps);

    // Assess: the KPL record taken whole (its poison dead-lettered with the batch); the click at
    // T0 + 110 s waited for the next batch; the window closed with both clicks in it
    expect(kept).toEqual([sequenceNumber(3)]);
    expect(d.stats).toMatchObject({ recordsIn: 3, invalidRecords: 1 });
    expect(lettersAfterBatch).toBe(1);
    expect(deadLetters.letters).toEqual([
      expect.objectContaining({ sequence_number: sequenceNumber(0), sub_sequence_number: 1 }),
    ]);
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 60 * S, { clicks: 3, amount: 3 }]);
  });

  it('a batch split by Lambda after a failed attempt sends the same window values in its halves', async () => {
    // Prepare: ann's click at T0 + 65 s waits for the open window [T0 + 60 s, T0 + 120 s); the
    // batch's first attempt (to T0 + 135 s) closes that window and sends it, then its checkpoint
    // write fails (S3 503), and Lambda retries it in two halves
    const store = new MemoryStateStore();
    const { b, deps, aggregates } = await shardWithAFailedBatch(store);
    await queueRedrive(SHARD, b.slice(1), range(4, 4), deps);
    const failing = failingPut(store, 2);
    const batchDeps = { ...deps, stateStore: failing, checkpointCache: undefined };
    const [dan, eve] = clickRecords([click('dan', T0 + 100 * S), click('eve', T0 + 135 * S)], 7);
    if (!dan || !eve) throw new Error('records expected');

    // Act
    const whole = await aggregateBatch([dan, eve], batchDeps);
    const firstHalf = await aggregateBatch([dan], batchDeps);
    const kept = (await readCheckpoint(store, clicksPipeline.name, SHARD))?.checkpoint.redriveInbox.length;
    await aggregateBatch([eve], batchDeps);

    // Assess: the first half (to T0 + 100 s, short of the attempt's T0 + 135 s) took no queued
    // record; the window was sent twice, with one value
    expect(whole.response.batchItemFailures).toEqual([{ itemIdentifier: dan.kinesis.sequenceNumber }]);
    expect(firstHalf.response.batchItemFailures).toEqual([]);
    expect(kept).toBe(1);
    const annSecond = (aggregates.records as AggregateRecord[]).filter(
      (r) => r.key === 'ann' && r.window_start === T0 + 60 * S,
    );
    expect(annSecond.map((r) => r.values)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
  });

  it('the idle flush leaves the queued records of windows a failed attempt may have sent until stream time passes them', async () => {
    // Prepare: an attempt to T0 + 135 s took ann's queued click at T0 + 65 s, sent ann's window
    // [T0 + 60 s, T0 + 120 s) without it, and failed its checkpoint write; the mapping then gave
    // the batch up, and the shard went quiet
    const store = new MemoryStateStore();
    const { queue, deps, aggregates, late, checkpoint, advance } = await shardWithAFailedBatch(store);
    await queue();
    const failing = failingPut(store, 2);
    await aggregateBatch(clickRecords([click('dan', T0 + 100 * S), click('eve', T0 + 135 * S)], 7), {
      ...deps,
      stateStore: failing,
      checkpointCache: undefined,
    });
    const pending = (await checkpoint())?.sentThrough;
    advance(5 * 60_000);

    // Act: the flush, then another run
    await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });
    advance(60_000);
    await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess: the flush closed ann's window as the attempt had sent it, and ann's click went to
    // late/ once stream time had passed the attempt's
    expect(pending).toBe(T0 + 135 * S);
    const ann = (aggregates.records as AggregateRecord[]).filter(
      (r) => r.key === 'ann' && r.window_start === T0 + 60 * S,
    );
    expect(ann.map((r) => r.values)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
    expect(late.records).toContainEqual(expect.objectContaining({ key: 'ann', ts: T0 + 65 * S }));
    expect((await checkpoint())?.redriveInbox).toEqual([]);
  });

  it('a warm container decodes a waiting inbox once, not on every batch', async () => {
    // Prepare: 200 redriven clicks at T0 + 10,000 s wait past the shard's stream time
    const cache = new Map<string, StoredCheckpoint>();
    const { deps } = memoryDeps({ checkpointCache: cache });
    await aggregateBatch(clickRecords([click('ann', T0 + 80 * S)], 1), deps);
    const waiting = clickRecords(
      Array.from({ length: 200 }, () => click('zed', T0 + 10_000 * S)),
      1000,
    );
    await queueRedrive(SHARD, waiting, range(1000, 1199), deps);
    await aggregateBatch(clickRecords([click('ann', T0 + 81 * S)], 2), deps);
    const parse = vi.spyOn(JSON, 'parse');

    // Act: one more batch of one record, from the warm cache
    await aggregateBatch(clickRecords([click('ann', T0 + 82 * S)], 3), deps);

    // Assess: a handful of parses, not one per waiting record
    expect(parse.mock.calls.length).toBeLessThan(20);
    parse.mockRestore();
  });

  it('a batch leaves a KPL record whole in the queue, poison and late user records too, while one of its user records would change a window', async () => {
    // Prepare: one aggregated record of ann's clicks at T0 + 5 s (its window closed) and T0 + 150 s
    // (past the stream time the batch reaches), and a user record that is not JSON
    const { queue, deps, late, deadLetters, aggregates, checkpoint, advance } = await shardWithAFailedBatch();
    const users = [click('ann', T0 + 5 * S), click('ann', T0 + 150 * S)].map((c) => ({
      partitionKey: c.user,
      data: Buffer.from(encodeEnvelope({ pipeline: clicksPipeline.name, key: c.user, ts: c.at, event: c })),
    }));
    users.push({ partitionKey: 'ann', data: Buffer.from('not json') });
    const [aggregated] = aggregateRecords(users);
    if (!aggregated) throw new Error('expected one aggregated record');
    const kpl = kinesisRecord({ data: aggregated.data, partitionKey: aggregated.partitionKey, n: 3 });
    // and bob's click at T0 + 30 s, its window closed: it leaves
    await queue([kpl, ...clickRecords([click('bob', T0 + 30 * S)], 4)], range(3, 4));

    // Act
    await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), deps);
    const afterBatch = {
      inbox: (await checkpoint())?.redriveInbox.length,
      late: late.records.length,
      deadLetters: deadLetters.letters.length,
    };
    advance(5 * 60_000);
    await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess: the redrive sent bob's click to late/; neither it nor the batch applied anything of
    // the KPL record; the flush applied both of its user records, the late one reported once
    expect(afterBatch).toEqual({ inbox: 1, late: 1, deadLetters: 0 });
    expect(deadLetters.letters).toEqual([
      expect.objectContaining({ sequence_number: sequenceNumber(3), sub_sequence_number: 2 }),
    ]);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', sequence_number: sequenceNumber(4) }),
      expect.objectContaining({ key: 'ann', ts: T0 + 5 * S, sequence_number: sequenceNumber(3) }),
    ]);
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 120 * S, { clicks: 1, amount: 1 }]);
  });

  it('a batch whose write a redrive overtook writes again with the queued records, its windows unchanged', async () => {
    // Prepare: a redrive queues three clicks between the batch's read and its write (the batch has
    // sent its windows by then)
    const store = new MemoryStateStore();
    const { b, deps, aggregates, late, checkpoint } = await shardWithAFailedBatch(store);
    const early = clickRecords([click('ann', T0 + 100 * S)], 0);
    let raced = false;
    const racing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (!raced) {
          raced = true;
          await queueRedrive(SHARD, [...b, ...early], range(0, 4), { ...deps, stateStore: store });
        }
        return store.put(...args);
      },
    });
    const next = clickRecords([click('dan', T0 + 140 * S)], 7);

    // Act
    const outcome = await aggregateBatch(next, { ...deps, stateStore: racing, checkpointCache: undefined });

    // Assess: no failure; the batch's windows as it computed them; the queued clicks kept, then
    // applied after the write: at T0 + 140 s each one's window has closed, so they went to late/
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(results(aggregates.records)).toEqual([
      ['ann', T0, { clicks: 2, amount: 2 }],
      ['ann', T0 + 60 * S, { clicks: 1, amount: 1 }],
      ['carl', T0 + 60 * S, { clicks: 1, amount: 1 }],
    ]);
    const after = await checkpoint();
    expect(after?.position?.sequenceNumber).toBe(sequenceNumber(7));
    expect(late.records.map((r) => (r as { sequence_number: string }).sequence_number)).toEqual([
      sequenceNumber(3),
      sequenceNumber(4),
      sequenceNumber(0),
    ]);
    expect(after?.redriveInbox).toEqual([]);
    expect(after?.redriven).toHaveLength(1);
  });

  it('a batch whose write a redrive overtook keeps what the redrive queued, without the queued records it applied', async () => {
    // Prepare: ann's click at T0 + 65 s waits; between the batch's read and its write, a redrive
    // queues ann's click at T0 + 90 s
    const store = new MemoryStateStore();
    const { queue, deps, aggregates, checkpoint } = await shardWithAFailedBatch(store);
    await queue();
    const later = clickRecords([click('ann', T0 + 90 * S)], 0);
    // The batch writes twice: the stream time it reaches (before it sends), then its checkpoint.
    let puts = 0;
    const racing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (++puts === 2) await queueRedrive(SHARD, later, range(0, 0), { ...deps, stateStore: store });
        return store.put(...args);
      },
    });

    // Act: the batch (to T0 + 100 s) takes ann's click at T0 + 65 s, the next (to T0 + 110 s) the
    // one at T0 + 90 s; a third closes the window
    const outcome = await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), {
      ...deps,
      stateStore: racing,
      checkpointCache: undefined,
    });
    const kept = (await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber);
    await aggregateBatch(clickRecords([click('eve', T0 + 110 * S)], 8), deps);
    await aggregateBatch(clickRecords([click('fay', T0 + 140 * S)], 9), deps);

    // Assess: each redriven click counted once (with ann's own at T0 + 75 s)
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(kept).toEqual([sequenceNumber(0)]);
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 60 * S, { clicks: 3, amount: 3 }]);
  });

  it('a batch whose write a redrive overtook keeps the late records the redrive committed and could not send', async () => {
    // Prepare: between the batch's read and its write, a redrive commits bob's click (its window
    // closed) as pending, and its send to the late stream fails
    const store = new MemoryStateStore();
    const { b, deps, late, checkpoint } = await shardWithAFailedBatch(store);
    const down = {
      put: async () => {
        throw Object.assign(new Error('down'), {
          name: 'ServiceUnavailableException',
          $metadata: { httpStatusCode: 503 },
        });
      },
    };
    let raced: Promise<unknown> | undefined;
    const racing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        raced ??= queueRedrive(SHARD, b.slice(0, 1), range(3, 3), {
          ...deps,
          stateStore: store,
          late: down,
        }).catch((error: unknown) => error);
        await raced;
        return store.put(...args);
      },
    });

    // Act
    const first = await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), {
      ...deps,
      stateStore: racing,
      checkpointCache: undefined,
    });
    const pending = (await checkpoint())?.pendingLate.map((r) => r.key);
    await aggregateBatch(clickRecords([click('dan', T0 + 101 * S)], 8), deps);

    // Assess: the redrive's send failed after its commit (it says so, and counts bob's record
    // redriven); the batch kept bob's record pending; the next batch sent it
    expect(await raced).toEqual({ redriven: 1, waiting: 0, skipped: 0 });
    expect(first.response.batchItemFailures).toEqual([]);
    expect(pending).toEqual(['bob']);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', sequence_number: sequenceNumber(3) }),
    ]);
    expect((await checkpoint())?.pendingLate).toEqual([]);
  });

  it('a batch whose write anything but a redrive overtook fails, and writes nothing over it', async () => {
    // Prepare: another writer (an idle flush, another invocation) changes the checkpoint, and its
    // updatedAt, between the batch's read and its write
    const store = new MemoryStateStore();
    const { deps, checkpoint } = await shardWithAFailedBatch(store);
    let raced = false;
    const racing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (!raced) {
          raced = true;
          const current = await readCheckpoint(store, clicksPipeline.name, SHARD);
          if (!current) throw new Error('no checkpoint');
          const other = { ...current.checkpoint, updatedAt: current.checkpoint.updatedAt + 1 };
          await store.put(clicksPipeline.name, SHARD, encodeCheckpoint(other), current.etag);
        }
        return store.put(...args);
      },
    });
    const next = clickRecords([click('dan', T0 + 140 * S)], 7);

    // Act
    const outcome = await aggregateBatch(next, { ...deps, stateStore: racing, checkpointCache: undefined });

    // Assess: retried from its first record; the other writer's checkpoint stands
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: sequenceNumber(7) }]);
    expect((await checkpoint())?.position?.sequenceNumber).toBe(sequenceNumber(6));
  });

  it('a batch retried after a failed attempt, with as many records or more, sends the same window values', async () => {
    // Prepare: ann's click at T0 + 65 s waits in the inbox for the open window [T0 + 60 s, T0 + 120 s);
    // the batch's first attempt closes that window and sends it, then its checkpoint write fails
    // (S3 503), and Lambda retries from its first record (no bisection: the retry holds the same
    // records, and here one more)
    const store = new MemoryStateStore();
    const { b, deps, aggregates } = await shardWithAFailedBatch(store);
    await queueRedrive(SHARD, b.slice(1), range(4, 4), deps);
    const failing = failingPut(store, 2);
    const batchDeps = { ...deps, stateStore: failing, checkpointCache: undefined };
    const records = clickRecords(
      [click('dan', T0 + 100 * S), click('eve', T0 + 135 * S), click('fay', T0 + 136 * S)],
      7,
    );

    // Act
    const attempt = await aggregateBatch(records.slice(0, 2), batchDeps);
    const retry = await aggregateBatch(records, batchDeps);

    // Assess: the window was sent twice, with one value; the retry found ann's click late for it
    expect(attempt.response.batchItemFailures).toEqual([
      { itemIdentifier: records[0]?.kinesis.sequenceNumber },
    ]);
    expect(retry.response.batchItemFailures).toEqual([]);
    const annSecond = (aggregates.records as AggregateRecord[]).filter(
      (r) => r.key === 'ann' && r.window_start === T0 + 60 * S,
    );
    expect(annSecond.map((r) => r.values)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
    expect(retry.stats.lateRecords).toBe(1);
  });

  it('the idle flush applies it in a quiet shard before it advances stream time', async () => {
    // Prepare
    const { queue, deps, aggregates, late, checkpoint, advance } = await shardWithAFailedBatch();
    await queue();
    advance(5 * 60_000);

    // Act
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess: ann's click at T0 + 65 s was on time; the flush closed its window with it
    expect(outcome).toMatchObject({ shardsFlushed: 1 });
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', sequence_number: sequenceNumber(3) }),
    ]);
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 60 * S, { clicks: 2, amount: 2 }]);
    expect((await checkpoint())?.redriveInbox).toEqual([]);
  });

  it('the idle flush leaves the queued records while the mapping still has records to deliver', async () => {
    // Prepare: a record after the position not delivered yet (a failed batch waiting for its retry)
    const { queue, deps, backlog, late, checkpoint, advance } = await shardWithAFailedBatch();
    await queue();
    backlog.written(clickRecords([click('dan', T0 + 100 * S)], 7), 1_800_000_000_000);
    advance(5 * 60_000);

    // Act
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess
    expect(outcome).toMatchObject({ behind: 1, shardsFlushed: 0 });
    expect((await checkpoint())?.redriveInbox).toHaveLength(1);
    expect(late.records).toEqual([expect.objectContaining({ key: 'bob' })]);
  });

  it('a flush the backlog check stops sends pending output and leaves the state as it read it', async () => {
    // Prepare: output pending from an earlier step, and records after the position the mapping has
    // yet to deliver (the shard is behind, not idle)
    const { deps, stateStore, backlog, aggregates, checkpoint, advance } = await shardWithAFailedBatch();
    const current = await readCheckpoint(stateStore, clicksPipeline.name, SHARD);
    if (!current) throw new Error('no checkpoint');
    const pendingResult = { ...(aggregates.records[0] as AggregateRecord), id: 'pending-result' };
    const withPending = { ...current.checkpoint, pending: [pendingResult] };
    await stateStore.put(clicksPipeline.name, SHARD, encodeCheckpoint(withPending), current.etag);
    backlog.written(clickRecords([click('dan', T0 + 300 * S)], 9), 1_800_000_000_000);
    const streamTime = current.checkpoint.engine.streamTime;
    advance(5 * 60_000);

    // Act
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess
    expect(outcome).toMatchObject({ behind: 1, shardsFlushed: 0 });
    expect(aggregates.records.at(-1)).toMatchObject({ id: 'pending-result' });
    const after = await checkpoint();
    expect(after?.pending).toEqual([]);
    expect(after?.engine.streamTime).toBe(streamTime);
  });

  it('the next batch sends late records and dead letters a step committed and did not send', async () => {
    // Prepare: a step's output committed as pending, its sending cut short (the process died)
    const { deps, stateStore, late, deadLetters, checkpoint } = await shardWithAFailedBatch();
    const current = await readCheckpoint(stateStore, clicksPipeline.name, SHARD);
    if (!current) throw new Error('no checkpoint');
    const lateRow = { pipeline: 'test-clicks', key: 'bob', ts: T0, shard: SHARD, sequence_number: '3' };
    const letter = {
      reason: 'not-json: x',
      pipeline: 'test-clicks',
      shard: SHARD,
      sequence_number: '4',
      data_base64: '',
      approximate_arrival: 0,
    };
    const withPending = { ...current.checkpoint, pendingLate: [lateRow], pendingDeadLetters: [letter] };
    await stateStore.put(clicksPipeline.name, SHARD, encodeCheckpoint(withPending as never), current.etag);

    // Act
    await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), {
      ...deps,
      checkpointCache: undefined,
    });

    // Assess
    expect(late.records).toEqual([lateRow]);
    expect(deadLetters.letters).toEqual([letter]);
    const after = await checkpoint();
    expect([after?.pendingLate, after?.pendingDeadLetters]).toEqual([[], []]);
  });

  it('forgets a range once no dead-letter message can name it any more', async () => {
    // Prepare
    const { queue, deps, checkpoint, advance } = await shardWithAFailedBatch();
    await queue();

    // Act: the next batch comes after the queue's retention
    advance(REDRIVE_MEMORY_MS);
    await aggregateBatch(clickRecords([click('ann', T0 + 90 * S)], 7), deps);

    // Assess
    expect((await checkpoint())?.redriven).toEqual([]);
  });
});
