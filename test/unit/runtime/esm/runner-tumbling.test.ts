import { afterEach, describe, expect, it } from 'vitest';
import { FakeShards } from '../kinesis/fake-shards.js';
import { assemblyWith, processedIds, start, stopAll, until } from './runner-harness.js';

afterEach(stopAll);

describe('EventSourceMappingRunner with TumblingWindowInSeconds', () => {
  it('passes tumbling window state between invocations and makes a final invocation per window', async () => {
    // Prepare
    const shards = new FakeShards(['shardId-000000000000']);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    for (let id = 0; id < 6; id += 1) shards.put('shardId-000000000000', 'k', { id }, t0 + id * 1_000);
    for (let id = 6; id < 9; id += 1)
      shards.put('shardId-000000000000', 'k', { id }, t0 + 60_000 + id * 1_000);
    const run = start(assemblyWith({ TumblingWindowInSeconds: 60, BatchSize: 4 }), shards);

    // Act
    await until(() => run.lines().filter((l) => l.isFinalInvokeForWindow).length === 2);

    // Assess
    const lines = run.lines();
    const firstWindow = lines.filter(
      (l) => l.window?.start === new Date(t0).toISOString().replace('.000Z', 'Z'),
    );
    expect(firstWindow.map((l) => [l.records.length, l.state?.count ?? 0, l.isFinalInvokeForWindow])).toEqual(
      [
        [4, 0, false],
        [2, 4, false],
        [0, 6, true],
      ],
    );
    const final2 = lines.filter((l) => l.isFinalInvokeForWindow)[1];
    expect(final2).toMatchObject({ state: { count: 3 }, records: [] });
  });

  it('keeps an open tumbling window and its state across a restart, as Lambda keeps it across pollers', async () => {
    // Prepare: records in the current 15-minute window, which stays open during the test
    const shards = new FakeShards(['shardId-000000000000']);
    const windowStart = Math.floor(Date.now() / 900_000) * 900_000;
    for (let id = 0; id < 3; id += 1) shards.put('shardId-000000000000', 'k', { id }, windowStart + id);
    const settings = { TumblingWindowInSeconds: 900, BatchSize: 10 };
    const first = start(assemblyWith(settings), shards);
    await until(() => processedIds(first.lines()).length === 3);
    await first.stop();

    // Act
    for (let id = 3; id < 5; id += 1) shards.put('shardId-000000000000', 'k', { id }, windowStart + id);
    const second = start(assemblyWith(settings), shards, first.dir);
    await until(() => processedIds(second.lines()).length === 5);

    // Assess: the second runtime's first invocation carries the state the first one ended with
    const lines = second.lines();
    expect(lines.map((l) => [l.records.map((r) => r.id), l.state?.count ?? 0])).toEqual([
      [[0, 1, 2], 0],
      [[3, 4], 3],
    ]);
  });
});

describe('tumbling windows across a restart of the local runtime', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("a restart after a window's final invocation does not make that final invocation again", async () => {
    // Prepare: records in a window that ended two minutes ago
    const shards = new FakeShards(['shardId-000000000000']);
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    for (let id = 0; id < 3; id += 1) shards.put('shardId-000000000000', 'k', { id }, t0 + id * 1_000);
    const settings = { TumblingWindowInSeconds: 60, BatchSize: 10 };
    const first = start(assemblyWith(settings), shards);
    await until(() => first.lines().filter((l) => l.isFinalInvokeForWindow).length === 1);
    await first.stop(); // a clean stop: checkpoints flushed

    // Act: the same mapping restarted, nothing new in the stream
    const second = start(assemblyWith(settings), shards, first.dir);
    await sleep(1_500);

    // Assess: the invocations of both runs hold one final result for the window
    const finals = second.lines().filter((l) => l.isFinalInvokeForWindow);
    expect(finals.map((l) => [l.window?.start, l.state?.count])).toEqual([
      [new Date(t0).toISOString().replace('.000Z', 'Z'), 3],
    ]);
  });

  it('says, with ParallelizationFactor > 1, that open windows restart from an empty state', () => {
    // Act
    const run = start(
      assemblyWith({ TumblingWindowInSeconds: 900, ParallelizationFactor: 2 }),
      new FakeShards(['shardId-000000000000']),
    );

    // Assess
    expect(run.logs).toEqual([
      expect.stringContaining(
        "with ParallelizationFactor 2, the tumbling windows' state is not kept across a restart of the local runtime",
      ),
    ]);
  });
});
