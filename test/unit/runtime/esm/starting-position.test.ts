import { afterEach, describe, expect, it } from 'vitest';
import { FakeShards } from '../kinesis/fake-shards.js';
import { assemblyWith, processedIds, start, stopAll, until } from './runner-harness.js';

afterEach(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('starting positions that read by time (LATEST, AT_TIMESTAMP)', () => {
  it('LATEST: a GetRecords that fails before any record was read loses none written after the mapping started', async () => {
    // Prepare: LATEST on an empty shard; the poller has read (nothing) at least once
    const shards = new FakeShards(['shardId-000000000000']);
    const run = start(assemblyWith({ StartingPosition: 'LATEST' }), shards);
    await until(() => shards.getRecordsCalls > 1);

    // Act: a record arrives, and the next GetRecords fails once (a transient error)
    shards.put('shardId-000000000000', 'k', { id: 1 });
    shards.failNextGetRecords.push('InternalFailure');
    await until(() => shards.failNextGetRecords.length === 0);
    await sleep(2_500); // the consumer waits 2 s after an error, then asks for a new iterator
    shards.put('shardId-000000000000', 'k', { id: 2 });
    await until(() => processedIds(run.lines()).includes(2), 4_000);

    // Assess: the shard's position is kept from the first iterator on, as Lambda keeps it
    expect(processedIds(run.lines())).toEqual([1, 2]);
  });

  it("LATEST on a stream resharded before the mapping started: the child's older records are not read", async () => {
    // Prepare: a split before the mapping was created (on-demand streams do this themselves)
    const shards = new FakeShards(['shardId-000000000000']);
    for (let id = 0; id < 3; id += 1) shards.put('shardId-000000000000', 'k', { id });
    shards.reshard('shardId-000000000000', 'shardId-000000000001');
    for (let id = 3; id < 6; id += 1) shards.put('shardId-000000000001', 'k', { id });
    const run = start(assemblyWith({ StartingPosition: 'LATEST' }), shards);
    await until(() => shards.getRecordsCalls > 3);
    await sleep(300);

    // Act: a record written after the mapping started
    shards.put('shardId-000000000001', 'k', { id: 6 });
    await until(() => processedIds(run.lines()).includes(6));

    // Assess
    expect(processedIds(run.lines())).toEqual([6]);
  });

  it('AT_TIMESTAMP on a stream resharded before the timestamp: no child record older than it', async () => {
    // Prepare: the parent closed and child records written an hour before the timestamp
    const shards = new FakeShards(['shardId-000000000000']);
    const now = Date.now();
    shards.put('shardId-000000000000', 'k', { id: 0 }, now - 3_600_000);
    shards.reshard('shardId-000000000000', 'shardId-000000000001');
    shards.put('shardId-000000000001', 'k', { id: 1 }, now - 3_500_000);
    shards.put('shardId-000000000001', 'k', { id: 2 }, now);
    const run = start(
      assemblyWith({ StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: (now - 60_000) / 1000 }),
      shards,
    );

    // Act
    await until(() => processedIds(run.lines()).includes(2));

    // Assess
    expect(processedIds(run.lines())).toEqual([2]);
  });
});
