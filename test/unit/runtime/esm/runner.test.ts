import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeShards } from '../kinesis/fake-shards.js';
import { assemblyWith, processedIds, start, stopAll, until } from './runner-harness.js';

afterEach(stopAll);

describe('EventSourceMappingRunner', () => {
  it('delivers every shard in order in batches of BatchSize, and a restarted runner resumes after the checkpoint', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000', 'shardId-000000000001']);
    for (let id = 0; id < 30; id += 1) shards.put(`shardId-00000000000${id % 2}`, `k${id}`, { id });
    const first = start(assemblyWith({}), shards);

    // Act
    await until(() => processedIds(first.lines()).length === 30);
    await first.stop();
    for (let id = 30; id < 36; id += 1) shards.put(`shardId-00000000000${id % 2}`, `k${id}`, { id });
    const second = start(assemblyWith({}), shards, first.dir);
    await until(
      () =>
        processedIds(second.lines()).length === 36 &&
        second.runner.progress()[0]?.totals.recordsProcessed === 6,
    );

    // Assess
    const lines = second.lines();
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      const ids = lines.flatMap((l) => l.records.filter((r) => r.shard === shard).map((r) => r.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(Math.max(...lines.map((l) => l.records.length))).toBeLessThanOrEqual(10);
    expect(second.runner.progress()[0]?.totals).toMatchObject({ recordsRead: 6, recordsProcessed: 6 });
  });

  it('keeps the checkpoint file current while running, so a killed runtime resumes from what it left on disk', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000']);
    let last = '';
    for (let id = 0; id < 20; id += 1) last = shards.put('shardId-000000000000', 'k', { id });
    const first = start(assemblyWith({}), shards);
    const file = join(first.dir, 'esm-checkpoints.json');
    const onDisk = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    // written by the running runtime on its own, without a stop
    await until(() => onDisk().includes(`"sequenceNumber": "${last}"`));

    // Act: what a SIGKILL leaves behind is the file as it is now; a new runtime starts from a copy
    const afterKill = mkdtempSync(join(tmpdir(), 'esm-'));
    writeFileSync(join(afterKill, 'esm-checkpoints.json'), onDisk());
    for (let id = 20; id < 23; id += 1) shards.put('shardId-000000000000', 'k', { id });
    const second = start(assemblyWith({}), shards, afterKill);
    await until(() => processedIds(second.lines()).length === 3);

    // Assess
    expect(processedIds(second.lines())).toEqual([20, 21, 22]);
  });

  it('resumes after a partial batch failure from the failed record, and sends a poison record to SQS in AWS format', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000']);
    const seqs = [0, 1, 2, 3, 4, 5].map((id) =>
      shards.put('shardId-000000000000', 'k', {
        id,
        behaviour: id === 2 ? 'fail-once' : id === 4 ? 'poison' : 'ok',
      }),
    );
    const run = start(assemblyWith({ BatchSize: 3 }), shards);

    // Act
    await until(
      () => run.sent.length === 1 && run.runner.progress()[0]?.totals.recordsProcessed === 5,
      4_000,
    );

    // Assess
    const lines = run.lines();
    expect(lines[0]).toMatchObject({ outcome: 'partial', failed: seqs[2] });
    expect(lines[0]?.records.map((r) => r.id)).toEqual([0, 1, 2]);
    expect(lines[1]).toMatchObject({ outcome: 'ok', records: [{ id: 2 }] });
    expect(processedIds(lines)).toEqual([2, 3, 5]);
    expect(run.sent[0]).toMatchObject({
      requestContext: {
        functionArn: expect.stringMatching(
          /^arn:aws:lambda:us-east-1:000000000000:function:EsmTest-Recorder/,
        ),
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 2,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: seqs[4],
        endSequenceNumber: seqs[4],
        batchSize: 1,
        streamArn: expect.stringMatching(/^arn:aws:kinesis:us-east-1:000000000000:stream\/EsmTest-Stream/),
      },
    });
    expect(run.runner.progress()[0]?.totals).toMatchObject({ recordsProcessed: 5, recordsDiscarded: 1 });
  });

  it('with ParallelizationFactor splits a shard into lanes by partition-key hash and keeps each key in order', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000'], 200);
    for (let id = 0; id < 120; id += 1) shards.put('shardId-000000000000', `key-${id % 7}`, { id });
    const run = start(assemblyWith({ ParallelizationFactor: 4, BatchSize: 5 }), shards);

    // Act
    await until(() => processedIds(run.lines()).length === 120);

    // Assess
    const lines = run.lines();
    for (let k = 0; k < 7; k += 1) {
      const ids = lines.flatMap((l) => l.records.filter((r) => r.pk === `key-${k}`).map((r) => r.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    // A batch holds one lane's keys only. Keys met in one batch are in one lane: joined that way, the
    // 7 keys fall into more than one group (with one lane, batches of 5 of 7 keys in turn join them all).
    const group = new Map<string, string>();
    const root = (key: string): string => {
      const parent = group.get(key) ?? key;
      return parent === key ? key : root(parent);
    };
    for (const line of lines) {
      const [first, ...rest] = line.records.map((r) => root(r.pk));
      for (const other of rest) if (first !== undefined && other !== first) group.set(other, first);
    }
    const lanes = new Set(Array.from({ length: 7 }, (_, k) => root(`key-${k}`)));
    expect(lanes.size).toBeGreaterThan(1);
    await until(() => run.runner.progress()[0]?.shards['shardId-000000000000']?.checkpoint !== undefined);
  });

  it('gathers records for MaximumBatchingWindowInSeconds before invoking when the batch is not full', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000'], 1);
    for (let id = 0; id < 5; id += 1) shards.put('shardId-000000000000', 'k', { id });
    const started = Date.now();
    const run = start(assemblyWith({ BatchSize: 100, MaximumBatchingWindowInSeconds: 1 }), shards);

    // Act
    await until(() => processedIds(run.lines()).length === 5);

    // Assess: one page per GetRecords call, yet a single invocation once the window passed
    expect(run.lines().map((l) => l.records.length)).toEqual([5]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('reads a trickling shard about twice per batching window, and the batches are what the window gathers', async () => {
    // Prepare: a record every 50 ms; the harness polls every 10 ms, i.e. ~100 reads a second unpaced
    const shards = new FakeShards(['shardId-000000000000']);
    const run = start(assemblyWith({ BatchSize: 100, MaximumBatchingWindowInSeconds: 1 }), shards);
    await until(() => shards.getRecordsCalls > 0);
    const callsBefore = shards.getRecordsCalls;

    // Act
    for (let id = 0; id < 40; id += 1) {
      shards.put('shardId-000000000000', 'k', { id });
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(() => processedIds(run.lines()).length === 40, 5_000);

    // Assess: records in order, gathered into ~1 s batches, with a few dozen reads rather than ~300
    expect(processedIds(run.lines())).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(run.lines().length).toBeLessThanOrEqual(4);
    expect(shards.getRecordsCalls - callsBefore).toBeLessThan(100);
  });

  it('starts at the end of each shard with StartingPosition LATEST', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000']);
    shards.put('shardId-000000000000', 'k', { id: 1 });
    const run = start(assemblyWith({ StartingPosition: 'LATEST' }), shards);
    await until(() => shards.getRecordsCalls > 0);

    // Act
    shards.put('shardId-000000000000', 'k', { id: 2 });
    await until(() => processedIds(run.lines()).length > 0);

    // Assess
    expect(processedIds(run.lines())).toEqual([2]);
  });

  it('reads a child shard only after its closed parent was processed to the end, and renews expired iterators', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000'], 3);
    for (let id = 0; id < 9; id += 1) shards.put('shardId-000000000000', 'k', { id });
    shards.reshard('shardId-000000000000', 'shardId-000000000001');
    for (let id = 9; id < 12; id += 1) shards.put('shardId-000000000001', 'k', { id });
    shards.failNextGetRecords.push('ExpiredIteratorException');
    const run = start(assemblyWith({ BatchSize: 2 }), shards);

    // Act
    await until(() => processedIds(run.lines()).length === 12);
    await until(() => run.runner.progress()[0]?.shards['shardId-000000000000']?.ended === true);

    // Assess: the key's order holds across the split
    expect(processedIds(run.lines())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await run.stop();
    const saved = JSON.parse(readFileSync(join(run.dir, 'esm-checkpoints.json'), 'utf8'));
    expect(Object.values(saved.mappings)[0]).toMatchObject({ 'shardId-000000000000': { shardEnded: true } });
  });
});
