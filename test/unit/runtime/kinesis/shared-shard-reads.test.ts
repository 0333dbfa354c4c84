import { describe, expect, it } from 'vitest';
import type { ShardSource } from '../../../../local/runtime/kinesis/shard-source.js';
import { SharedShardReads } from '../../../../local/runtime/kinesis/shared-shard-reads.js';
import { FakeShards } from './fake-shards.js';

const SHARD = 'shardId-000000000000';

/** Reads a shard from `iterator` until an empty page (or its end); the ids read, in order. */
async function readAll(source: ShardSource, iterator: string | undefined, limit = 10) {
  const ids: number[] = [];
  let at = iterator;
  let lastPage = { empty: false, millisBehindLatest: undefined as number | undefined };
  while (at !== undefined) {
    const page = await source.getRecords(at, limit);
    for (const r of page.records) ids.push(JSON.parse(new TextDecoder().decode(r.data)).id);
    at = page.nextIterator;
    lastPage = { empty: page.records.length === 0, millisBehindLatest: page.millisBehindLatest };
    if (page.records.length === 0) break;
  }
  return { ids, next: at, lastPage };
}

function shardWith(count: number, pageSize = 25): { shards: FakeShards; seqs: string[] } {
  const shards = new FakeShards([SHARD], pageSize);
  const seqs = Array.from({ length: count }, (_, id) => shards.put(SHARD, `k${id % 3}`, { id }));
  return { shards, seqs };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('SharedShardReads', () => {
  it('gives two readers every record in order while reading each from Kinesis once', async () => {
    // Prepare
    const { shards } = shardWith(100);
    const shared = new SharedShardReads(shards);
    const [a, b] = [shared.source(), shared.source()];

    // Act
    const first = await readAll(a, await a.getIterator(SHARD, { type: 'TRIM_HORIZON' }));
    const second = await readAll(b, await b.getIterator(SHARD, { type: 'TRIM_HORIZON' }));

    // Assess
    expect(first.ids).toEqual(range(0, 100));
    expect(second.ids).toEqual(range(0, 100));
    expect(shared.stats.recordsFetched).toBe(100);
    expect(shared.stats.recordsServed).toBe(200);
  });

  it('reads a shard once when two readers start on it at the same moment', async () => {
    // Prepare
    const { shards } = shardWith(10);
    const shared = new SharedShardReads(shards);
    const [a, b] = [shared.source(), shared.source()];
    const [fromA, fromB] = [
      await a.getIterator(SHARD, { type: 'TRIM_HORIZON' }),
      await b.getIterator(SHARD, { type: 'TRIM_HORIZON' }),
    ];

    // Act
    const [pageA, pageB] = await Promise.all([a.getRecords(fromA, 100), b.getRecords(fromB, 100)]);

    // Assess
    expect(pageA.records.length).toBe(10);
    expect(pageB.records.length).toBe(10);
    expect(shards.getRecordsCalls).toBe(1);
  });

  it('answers an empty page, at the tip, only after a real read found nothing new; then reads what came', async () => {
    // Prepare
    const { shards } = shardWith(10);
    const shared = new SharedShardReads(shards);
    const reader = shared.source();
    const caughtUp = await readAll(reader, await reader.getIterator(SHARD, { type: 'TRIM_HORIZON' }));
    const callsAtTip = shards.getRecordsCalls;

    // Act
    for (let id = 10; id < 15; id += 1) shards.put(SHARD, 'k', { id });
    const more = await readAll(reader, caughtUp.next);

    // Assess
    expect(caughtUp.ids).toEqual(range(0, 10));
    expect(caughtUp.lastPage).toEqual({ empty: true, millisBehindLatest: 0 });
    expect(more.ids).toEqual(range(10, 15));
    expect(shards.getRecordsCalls).toBeGreaterThan(callsAtTip);
  });

  it('tells a reader at the end what it holds is the tip as of the read it joined, not as of its own ask', async () => {
    // Prepare: real reads that wait for a gate after being asked (FakeShards stamps the ask time)
    const { shards } = shardWith(10);
    let open: () => void = () => {};
    let gate = Promise.resolve();
    const slow: ShardSource = {
      listShards: () => shards.listShards(),
      getIterator: (shardId, position) => shards.getIterator(shardId, position),
      getRecords: async (iterator, limit) => {
        const page = await shards.getRecords(iterator, limit);
        await gate;
        return page;
      },
    };
    const shared = new SharedShardReads(slow);
    const [a, b] = [shared.source(), shared.source()];
    const start = await a.getIterator(SHARD, { type: 'TRIM_HORIZON' });
    const behind = await b.getRecords(await b.getIterator(SHARD, { type: 'TRIM_HORIZON' }), 4);
    const atEnd = await readAll(a, start);
    gate = new Promise((resolve) => {
      open = resolve;
    });

    // Act: a asks at the tip (a real read, in flight); b catches up and joins that read later
    const callsBefore = shards.getRecordsCalls;
    const readAsked = Date.now();
    const fromA = a.getRecords(atEnd.next as string, 10);
    const caughtUpB = await b.getRecords(behind.nextIterator as string, 10);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const bAsked = Date.now();
    const fromB = b.getRecords(caughtUpB.nextIterator as string, 10);
    open();
    const [pageA, pageB] = await Promise.all([fromA, fromB]);

    // Assess
    expect(behind.tipAsOf).toBeUndefined();
    expect(caughtUpB.tipAsOf).toBeDefined();
    for (const page of [pageA, pageB]) {
      expect(page.records).toEqual([]);
      expect(page.tipAsOf).toBeGreaterThanOrEqual(readAsked);
      expect(page.tipAsOf).toBeLessThan(bAsked);
    }
    expect(shards.getRecordsCalls - callsBefore).toBe(1);
  });

  it('answers a reader allowing staleness from a recent tip read, and reads Kinesis once that is too old', async () => {
    // Prepare: a frequent reader at the tip, and a lagging one that allows 50 ms of staleness
    const { shards } = shardWith(10);
    const shared = new SharedShardReads(shards);
    const often = shared.source();
    const lagging = shared.source({ maxStalenessMs: 50 });
    const oftenAt = await readAll(often, await often.getIterator(SHARD, { type: 'TRIM_HORIZON' }));
    shards.put(SHARD, 'k', { id: 10 });
    const callsBefore = shards.getRecordsCalls;

    // Act
    const fromLog = await readAll(lagging, await lagging.getIterator(SHARD, { type: 'TRIM_HORIZON' }));
    const callsFromLog = shards.getRecordsCalls - callsBefore;
    await new Promise((resolve) => setTimeout(resolve, 80));
    const fromKinesis = await readAll(lagging, fromLog.next);

    // Assess: the record put after the last tip read comes only with a real read
    expect(oftenAt.ids).toEqual(range(0, 10));
    expect(fromLog.ids).toEqual(range(0, 10));
    expect(callsFromLog).toBe(0);
    expect(fromKinesis.ids).toEqual([10]);
    expect(shards.getRecordsCalls).toBeGreaterThan(callsBefore);
  });

  it('resumes after a sequence number from what it keeps, and reads through to Kinesis for older ones', async () => {
    // Prepare: only the last 40 records are kept
    const { shards, seqs } = shardWith(100);
    const shared = new SharedShardReads(shards, 40);
    const ahead = shared.source();
    await readAll(ahead, await ahead.getIterator(SHARD, { type: 'TRIM_HORIZON' }));
    const fetched = shared.stats.recordsFetched;

    // Act
    const recent = shared.source();
    const fromKept = await readAll(
      recent,
      await recent.getIterator(SHARD, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqs[79] as string }),
    );
    const fetchedForKept = shared.stats.recordsFetched - fetched;
    const old = shared.source();
    const fromKinesis = await readAll(
      old,
      await old.getIterator(SHARD, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqs[9] as string }),
    );

    // Assess
    expect(fromKept.ids).toEqual(range(80, 100));
    expect(fetchedForKept).toBe(0);
    expect(fromKinesis.ids).toEqual(range(10, 100));
  });

  it('ends a closed shard for every reader; LATEST reads only what comes after', async () => {
    // Prepare
    const { shards } = shardWith(30);
    const shared = new SharedShardReads(shards);
    const latest = shared.source();
    const latestIterator = await latest.getIterator(SHARD, { type: 'LATEST' });
    const nothingYet = await latest.getRecords(latestIterator, 10);

    // Act
    shards.put(SHARD, 'k', { id: 30 });
    shards.reshard(SHARD, 'shardId-000000000001');
    const fromLatest = await readAll(latest, nothingYet.nextIterator);
    const a = shared.source();
    const b = shared.source();
    const all = await readAll(a, await a.getIterator(SHARD, { type: 'TRIM_HORIZON' }));
    const again = await readAll(b, await b.getIterator(SHARD, { type: 'TRIM_HORIZON' }));

    // Assess
    expect(nothingYet.records).toEqual([]);
    expect(fromLatest.ids).toEqual([30]);
    expect(all).toMatchObject({ ids: range(0, 31), next: undefined });
    expect(again).toMatchObject({ ids: range(0, 31), next: undefined });
  });
});
