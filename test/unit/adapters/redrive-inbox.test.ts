import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import { MAX_INBOX_RECORDS, toInbox } from '../../../functions/adapters/aggregator/redrive-inbox.js';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { aggregateRecords } from '../../../functions/adapters/kinesis/kpl.js';
import { queueRedrive } from '../../../functions/adapters/redrive/queue-redrive.js';
import {
  encodeCheckpoint,
  type InboxRecord,
  REDRIVE_MEMORY_MS,
  readCheckpoint,
} from '../../../functions/adapters/state/checkpoint.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { kinesisRecord, sequenceNumber } from '../../fixtures/kinesis-events.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

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
    let puts = 0;
    const failingClear = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        puts++;
        if (puts === 2)
          throw Object.assign(new Error('Slow Down'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          });
        return store.put(...args);
      },
    });
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
  it('a batch leaves a queued record of an open window to the idle flush, which applies it once the shard is quiet', async () => {
    // Prepare
    const { queue, deps, aggregates, late, checkpoint, advance } = await shardWithAFailedBatch();
    await queue();

    // Act: a batch (stream time to T0 + 100 s), then five quiet minutes and the flush
    const d = await aggregateBatch(clickRecords([click('dan', T0 + 100 * S)], 7), deps);
    const kept = (await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber);
    advance(5 * 60_000);
    const outcome = await flushIdleShards({ ...deps, idleTimeoutMs: 60_000 });

    // Assess: the batch applied only its own record (ann's window [T0 + 60 s, T0 + 120 s) is open);
    // the flush applied ann's click at T0 + 100 s (it counts), then closed the windows
    expect(d.stats).toMatchObject({ recordsIn: 1, lateRecords: 0 });
    expect(kept).toEqual([sequenceNumber(4)]);
    expect(outcome).toMatchObject({ shardsFlushed: 1 });
    expect(late.records).toEqual([
      expect.objectContaining({
        key: 'bob',
        ts: T0 + 30 * S,
        window_start: T0,
        sequence_number: sequenceNumber(3),
      }),
    ]);
    expect(results(aggregates.records)).toEqual([
      ['ann', T0, { clicks: 2, amount: 2 }],
      ['ann', T0 + 60 * S, { clicks: 2, amount: 2 }],
      ['carl', T0 + 60 * S, { clicks: 1, amount: 1 }],
      ['dan', T0 + 60 * S, { clicks: 1, amount: 1 }],
    ]);
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

  it('a batch whose send of queued late records fails counts them once and leaves them to the next batch', async () => {
    // Prepare: the late stream refuses the first put of ann's redriven click (its window closed by the batch) (throttled)
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
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (message: string) => void warnings.push(message) };

    // Act
    const first = await aggregateBatch(clickRecords([click('dan', T0 + 140 * S)], 7), {
      ...deps,
      late: flaky,
      logger,
    });
    const pending = (await checkpoint())?.pendingLate.length;
    const second = await aggregateBatch(clickRecords([click('dan', T0 + 141 * S)], 8), deps);

    // Assess: committed by the first batch, sent by the second, counted once
    expect(first.response.batchItemFailures).toEqual([]);
    expect(pending).toBe(1);
    expect(warnings).toEqual(['redriven records applied, not sent yet: the next batch sends them']);
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob' }),
      expect.objectContaining({ key: 'ann' }),
    ]);
    expect(first.stats.lateRecords + second.stats.lateRecords).toBe(1);
    expect((await checkpoint())?.pendingLate).toEqual([]);
  });

  it('a batch near its deadline leaves the queued records for the next one', async () => {
    // Prepare
    const { queue, deps, late, checkpoint } = await shardWithAFailedBatch();
    await queue();

    // Act: 5 s left after the write
    await aggregateBatch(clickRecords([click('dan', T0 + 140 * S)], 7), deps, {
      deadlineMs: 1_800_000_000_000 + 5_000,
    });

    // Assess
    expect(late.records).toEqual([expect.objectContaining({ key: 'bob' })]);
    expect((await checkpoint())?.redriveInbox).toHaveLength(1);
  });

  it('a batch leaves a KPL record whole in the queue, poison and late user records too, while one of its user records would change a window', async () => {
    // Prepare: one aggregated record of ann's clicks at T0 + 5 s (its window closed) and T0 + 65 s
    // (open), and a user record that is not JSON
    const { queue, deps, late, deadLetters, aggregates, checkpoint, advance } = await shardWithAFailedBatch();
    const users = [click('ann', T0 + 5 * S), click('ann', T0 + 65 * S)].map((c) => ({
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
    expect(results(aggregates.records)).toContainEqual(['ann', T0 + 60 * S, { clicks: 2, amount: 2 }]);
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

  it('a batch split by Lambda after a failed attempt sends the same window values in its halves', async () => {
    // Prepare: ann's click at T0 + 65 s waits in the inbox for the open window [T0 + 60 s, T0 + 120 s);
    // the batch's first attempt closes that window and sends it, then its checkpoint write fails
    // (S3 503), and Lambda retries it in two halves
    const store = new MemoryStateStore();
    const { b, deps, aggregates } = await shardWithAFailedBatch(store);
    await queueRedrive(SHARD, b.slice(1), range(4, 4), deps);
    let failed = false;
    const failing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (!failed) {
          failed = true;
          throw Object.assign(new Error('Slow Down'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return store.put(...args);
      },
    });
    const batchDeps = { ...deps, stateStore: failing, checkpointCache: undefined };
    const [dan, eve] = clickRecords([click('dan', T0 + 100 * S), click('eve', T0 + 135 * S)], 7);
    if (!dan || !eve) throw new Error('records expected');

    // Act
    const whole = await aggregateBatch([dan, eve], batchDeps);
    await aggregateBatch([dan], batchDeps);
    await aggregateBatch([eve], batchDeps);

    // Assess: the window was sent twice, with one value
    expect(whole.response.batchItemFailures).toEqual([{ itemIdentifier: dan.kinesis.sequenceNumber }]);
    const annSecond = (aggregates.records as AggregateRecord[]).filter(
      (r) => r.key === 'ann' && r.window_start === T0 + 60 * S,
    );
    expect(annSecond.map((r) => r.values)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
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
