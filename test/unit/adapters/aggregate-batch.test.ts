import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { resultId } from '../../../functions/adapters/aggregator/output-records.js';
import { DeliveryError } from '../../../functions/adapters/errors.js';
import type { RecordSink } from '../../../functions/adapters/sinks/record-sink.js';
import { decodeCheckpoint } from '../../../functions/adapters/state/checkpoint.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { kinesisRecord } from '../../fixtures/kinesis-events.js';
import { type Click, click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const MIN = 60_000;
const SHARD = 'shardId-000000000006';

describe('aggregateBatch', () => {
  it('emits a window once stream time passes its end + grace, with a deterministic id', async () => {
    // Prepare: two clicks in [T0, T0+1m), then one at T0+1m10s closes it (grace 10 s).
    const { deps, aggregates } = memoryDeps();
    const records = clickRecords([
      click('ann', T0 + 1000, 2),
      click('ann', T0 + 2000, 3),
      click('bob', T0 + MIN + 10_000),
    ]);

    // Act
    const { response, stats } = await aggregateBatch(records, deps);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(aggregates.records).toEqual([
      {
        id: resultId('test-clicks', 'ann', T0, T0 + MIN, SHARD),
        pipeline: 'test-clicks',
        key: 'ann',
        window_start: T0,
        window_end: T0 + MIN,
        values: { clicks: 2, amount: 5 },
        shard: SHARD,
        emitted_at: 1_800_000_000_000,
      },
    ]);
    expect(stats).toMatchObject({ recordsIn: 3, invalidRecords: 0, windowsClosed: 1, lateRecords: 0 });
    expect(stats.stateBytes).toBeGreaterThan(0);
  });

  it('applies a retried batch once: records at or below the checkpoint are skipped', async () => {
    // Prepare
    const { deps, aggregates, stateStore } = memoryDeps();
    const records = clickRecords([
      click('ann', T0 + 1000),
      click('ann', T0 + 2000),
      click('ann', T0 + 2 * MIN),
    ]);
    await aggregateBatch(records.slice(0, 2), deps);

    // Act: Lambda retries the whole batch (the first two were applied already).
    const { stats } = await aggregateBatch(records, deps);
    const again = await aggregateBatch(records, deps);

    // Assess
    expect(stats).toMatchObject({ skipped: 2, recordsIn: 1 });
    expect(again.stats).toMatchObject({ skipped: 3, recordsIn: 0 });
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', values: { clicks: 2, amount: 2 } }),
    ]);
    expect(stateStore.writes).toBe(2);
  });

  it('dead-letters poison records with their reason and applies the rest of the shard', async () => {
    // Prepare: the AWS sample text (not JSON), a schema-invalid event, a wrong pipeline, a 1 MiB+1 record.
    const { deps, deadLetters, stateStore } = memoryDeps();
    const [good] = clickRecords([click('ann', T0 + 1000)], 5);
    const records = [
      kinesisRecord({ data: 'Hello, this is a test.', partitionKey: '1', n: 1 }),
      kinesisRecord({
        data: JSON.stringify({ v: 1, pipeline: 'test-clicks', key: 'x', ts: 1, event: { user: 'x' } }),
        partitionKey: 'x',
        n: 2,
      }),
      kinesisRecord({
        data: JSON.stringify({ v: 1, pipeline: 'other', key: 'x', ts: 1, event: {} }),
        partitionKey: 'x',
        n: 3,
      }),
      kinesisRecord({ data: Buffer.alloc(1024 * 1024 + 1, 0x20), partitionKey: 'x', n: 4 }),
      ...(good ? [good] : []),
    ];

    // Act
    const { response, stats } = await aggregateBatch(records, deps);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(deadLetters.letters.map((l) => l.reason.split(':')[0])).toEqual([
      'not-json',
      'invalid-event',
      'wrong-pipeline',
      'oversized',
    ]);
    expect(deadLetters.letters[1]).toMatchObject({
      pipeline: 'test-clicks',
      shard: SHARD,
      sequence_number: records[1]?.kinesis.sequenceNumber,
      data_base64: records[1]?.kinesis.data,
    });
    // Each reason says what was wrong with that record: the schema error names the fields missing.
    const reasons = deadLetters.letters.map((l) => l.reason);
    expect(reasons[0]).toMatch(/^not-json: data must be a JSON envelope \(Unexpected token 'H'/);
    expect(reasons[1]).toMatch(/^invalid-event: does not match the test-clicks schema:/);
    expect(reasons[1]).toMatch(/→ at at$/m);
    expect(reasons[1]).toMatch(/→ at amount$/m);
    expect(reasons[2]).toBe('wrong-pipeline: envelope pipeline must be test-clicks (given "other")');
    expect(reasons[3]).toMatch(/^oversized: .*must be at most 1048576 bytes \(given 1048577\)$/);
    expect(stats).toMatchObject({ recordsIn: 5, invalidRecords: 4 });
    expect(await stateStore.list('test-clicks')).toEqual([SHARD]);
  });

  it('sends records later than the grace period to the late sink with their sequence number', async () => {
    // Prepare: stream time at T0+2m closes [T0, T0+1m); a record at T0+30s is then late.
    const { deps, late } = memoryDeps();
    const records = clickRecords([
      click('ann', T0 + 1000),
      click('ann', T0 + 2 * MIN),
      click('ann', T0 + 30_000),
    ]);

    // Act
    const { stats } = await aggregateBatch(records, deps);

    // Assess
    expect(stats.lateRecords).toBe(1);
    expect(late.records).toEqual([
      expect.objectContaining({
        key: 'ann',
        ts: T0 + 30_000,
        window_start: T0,
        window_end: T0 + MIN,
        stream_time: T0 + 2 * MIN,
        lateness_ms: 2 * MIN - 30_000,
        sequence_number: records[2]?.kinesis.sequenceNumber,
        event: { user: 'ann', at: T0 + 30_000, amount: 1 },
      }),
    ]);
  });

  it("gives the engine's results and late records for a large batch, each late one with its position", async () => {
    // Prepare: clicks 1 s apart over 4 users, every 97th one 5 minutes late.
    const { deps, aggregates, late, stateStore } = memoryDeps();
    const clicks = Array.from({ length: 1543 }, (_, i) =>
      click(`u${i % 4}`, T0 + i * 1000 - (i % 97 === 96 ? 5 * MIN : 0), i),
    );
    const records = clickRecords(clicks);
    const whole = clicksPipeline.createEngine().process(
      undefined,
      clicks.map((c) => ({ key: c.user, ts: c.at, value: c })),
    );

    // Act
    await aggregateBatch(records, deps);

    // Assess
    expect(whole.late.length).toBeGreaterThan(10);
    expect(aggregates.records).toEqual(
      whole.results.map((r) =>
        expect.objectContaining({ key: r.key, window_start: r.windowStart, values: r.values }),
      ),
    );
    expect(late.records).toEqual(
      whole.late.map((l) =>
        expect.objectContaining({
          ts: l.ts,
          window_start: l.windowStart,
          sequence_number: records[clicks.indexOf(l.value as Click)]?.kinesis.sequenceNumber,
        }),
      ),
    );
    const stored = await stateStore.get('test-clicks', SHARD);
    const checkpoint = stored && 'body' in stored ? decodeCheckpoint(stored.body) : undefined;
    expect(checkpoint?.engine).toEqual(JSON.parse(JSON.stringify(whole.state)));
  });

  it('on a lost checkpoint race returns the first unapplied record and checkpoints nothing', async () => {
    // Prepare: another invocation writes between our read and our write.
    const store = new MemoryStateStore();
    const racing = Object.assign(Object.create(store) as MemoryStateStore, {
      get: async (p: string, s: string) => {
        const read = await store.get(p, s);
        await store.put(p, s, Buffer.from('{}'), read?.etag);
        return read;
      },
    });
    const { deps } = memoryDeps({ stateStore: racing });
    const records = clickRecords([click('ann', T0 + 1000), click('ann', T0 + 2000)]);

    // Act
    const { response } = await aggregateBatch(records, deps);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.kinesis.sequenceNumber }]);
    const stored = await store.get('test-clicks', SHARD);
    expect(stored && 'body' in stored ? Buffer.from(stored.body).toString() : undefined).toBe('{}');
  });

  it('retries from the first unapplied record when Firehose keeps failing, then applies once', async () => {
    // Prepare: a sink that fails its first call (as a DeliveryError after its own retries).
    const { deps, aggregates, stateStore } = memoryDeps();
    let failNext = true;
    const flaky: RecordSink = {
      put: async (records) => {
        if (failNext && records.length > 0) {
          failNext = false;
          throw new DeliveryError('Firehose aggregates', records.length, 5, [
            'ServiceUnavailableException: Slow down.',
          ]);
        }
        return aggregates.put(records);
      },
    };
    const first = clickRecords([click('ann', T0 + 1000)], 1);
    await aggregateBatch(first, deps);
    const batch = clickRecords([click('ann', T0 + 2000), click('bob', T0 + 2 * MIN)], 2);

    // Act
    const failed = await aggregateBatch([...first, ...batch], { ...deps, aggregates: flaky });
    const retried = await aggregateBatch([...first, ...batch], { ...deps, aggregates: flaky });

    // Assess: the retry starts at the first record not applied yet (record 2, not record 1).
    expect(failed.response.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.kinesis.sequenceNumber }]);
    expect(retried.response.batchItemFailures).toEqual([]);
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', values: { clicks: 2, amount: 2 } }),
    ]);
    expect(stateStore.writes).toBe(2);
  });

  it('keeps a checkpoint per shard when a batch spans two shards', async () => {
    // Prepare
    const { deps, stateStore } = memoryDeps();
    const records = [
      ...clickRecords([click('ann', T0)], 1, 'shardId-000000000001'),
      ...clickRecords([click('bob', T0)], 2, 'shardId-000000000002'),
    ];

    // Act
    await aggregateBatch(records, deps);

    // Assess
    expect((await stateStore.list('test-clicks')).sort()).toEqual([
      'shardId-000000000001',
      'shardId-000000000002',
    ]);
  });

  it('reuses the checkpoint it wrote while the store says it is unchanged, and rereads it when not', async () => {
    // Prepare
    const { deps, stateStore, aggregates } = memoryDeps({ checkpointCache: new Map() });
    const records = clickRecords([
      click('ann', T0 + 1000),
      click('ann', T0 + 2000),
      click('ann', T0 + 2 * MIN),
    ]);
    await aggregateBatch(records.slice(0, 1), deps);

    // Act: one batch with the cache valid, then another writer (e.g. the idle flush) changes the checkpoint.
    await aggregateBatch(records.slice(1, 2), deps);
    const readsWhileCached = stateStore.reads;
    const current = await stateStore.get('test-clicks', SHARD);
    if (!current || !('body' in current)) throw new Error('expected a checkpoint');
    await stateStore.put('test-clicks', SHARD, current.body, current.etag);
    await aggregateBatch(records.slice(2), deps);

    // Assess
    expect(readsWhileCached).toBe(0);
    expect(stateStore.reads).toBe(2);
    expect(aggregates.records).toEqual([
      expect.objectContaining({ key: 'ann', values: { clicks: 2, amount: 2 } }),
    ]);
  });
});
