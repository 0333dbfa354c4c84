import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import type { AggregateRecord } from '../../../functions/adapters/aggregator/output-records.js';
import { toStreamRecord } from '../../../functions/adapters/kafka/msk-event.js';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { queueRedrive } from '../../../functions/adapters/redrive/queue-redrive.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { deliverBatch } from '../../../local/runtime/event-source-mapping/batch-delivery.js';
import { deliverKafkaBatch } from '../../../local/runtime/event-source-mapping/kafka-delivery.js';
import { type KafkaRecord, mskEventRecord } from '../../../local/runtime/event-source-mapping/msk-event.js';
import type { StreamRecord } from '../../../local/runtime/kinesis/shard-source.js';
import { sequenceNumber } from '../../fixtures/kinesis-events.js';
import { type Click, click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

// A retry of a batch may hold fewer records than the attempt that sent its window results and
// failed: Lambda bisects a failed batch, leaves out records past the maximum record age, and a
// redrive may queue records in between. Whatever is queued must then not land in a window the
// attempt sent (the warehouse keeps the first row of a result id). An aggregator batch that
// applied queued records of open windows broke each of these; they stay with the idle flush.

const SHARD = 'shardId-000000000006';
const S = 1000;
const DAY = 86_400_000;

/** As shardWithAFailedBatch in redrive-inbox.test.ts, with a store whose next put can be made to fail. */
async function shard() {
  const store = new MemoryStateStore();
  let putsUntilFailure = 0;
  const failing = Object.assign(Object.create(store) as MemoryStateStore, {
    put: async (...args: Parameters<MemoryStateStore['put']>) => {
      if (putsUntilFailure > 0 && --putsUntilFailure === 0) {
        throw Object.assign(new Error('Slow Down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
      }
      return store.put(...args);
    },
  });
  const harness = memoryDeps({ stateStore: failing });
  const deps = { ...harness.deps, checkpointCache: undefined };
  await aggregateBatch(clickRecords([click('ann', T0 + 1 * S), click('ann', T0 + 20 * S)], 1), deps);
  await aggregateBatch(clickRecords([click('ann', T0 + 75 * S), click('carl', T0 + 80 * S)], 5), deps);
  // ann's click at T0 + 65 s, redriven: waits in the inbox (window [T0 + 60 s, T0 + 120 s) open).
  const b = clickRecords([click('bob', T0 + 30 * S), click('ann', T0 + 65 * S)], 3);
  await queueRedrive(SHARD, b, { from: sequenceNumber(3), to: sequenceNumber(4) }, deps);
  return { ...harness, deps, failCheckpointWrite: () => (putsUntilFailure = 1) };
}

const annWindow = (records: object[]) =>
  (records as AggregateRecord[])
    .filter((r) => r.key === 'ann' && r.window_start === T0 + 60 * S)
    .map((r) => r.values);

describe('a batch retried with fewer records than its failed attempt, redriven records queued', () => {
  it('Kinesis (local ESM emulation): the first record expires between attempt and retry; the window the attempt sent goes out again with the same value', async () => {
    // Prepare: eve's click (event time T0 + 140 s) arrived first, close to the maximum record age;
    // dan's (T0 + 125 s) after it. The first attempt's checkpoint write fails (S3 503).
    const { deps, aggregates, failCheckpointWrite } = await shard();
    const [eve, dan] = clickRecords([click('eve', T0 + 140 * S), click('dan', T0 + 125 * S)], 7);
    if (!eve || !dan) throw new Error('records expected');
    const byId = new Map<string, KinesisStreamRecord>([
      [eve.kinesis.sequenceNumber, eve],
      [dan.kinesis.sequenceNumber, dan],
    ]);
    let now = 1_800_000_000_000;
    const stream: StreamRecord[] = [eve, dan].map((r, i) => ({
      sequenceNumber: r.kinesis.sequenceNumber,
      partitionKey: r.kinesis.partitionKey,
      data: new Uint8Array(),
      approximateArrivalTimestamp: i === 0 ? now - DAY + 500 : now,
    }));
    const invocations: string[][] = [];
    failCheckpointWrite();

    // Act: the mapping as deployed (bisection, maximum record age 1 day, backoff 1 s)
    await deliverBatch(
      stream,
      { bisectBatchOnFunctionError: true, maximumRetryAttempts: 10, maximumRecordAgeSeconds: 86_400 },
      {
        invoke: async (batch) => {
          invocations.push(batch.map((r) => r.sequenceNumber));
          const { response } = await aggregateBatch(
            batch.map((r) => byId.get(r.sequenceNumber) as KinesisStreamRecord),
            deps,
          );
          const failed = response.batchItemFailures[0]?.itemIdentifier;
          return failed ? { kind: 'partial', failedSequenceNumber: failed } : { kind: 'success' };
        },
        discard: async () => {},
        processed: () => {},
        now: () => now,
        backoff: async () => {
          now += 1000;
        },
        stopped: () => false,
      },
    );
    // the shard's next batch closes ann's window
    await aggregateBatch(clickRecords([click('fay', T0 + 200 * S)], 9), deps);

    // Assess: the retry held dan's record only (eve's expired); it took no queued record, so
    // ann's window went out twice with one value
    expect(invocations).toEqual([
      [eve.kinesis.sequenceNumber, dan.kinesis.sequenceNumber],
      [dan.kinesis.sequenceNumber],
    ]);
    expect(annWindow(aggregates.records)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
  });

  it('a retry that is a prefix of the attempt (a bisected half, a re-formed batch) sends the window again with the same value', async () => {
    // Prepare: the attempt holds dan (T0 + 125 s) then eve (T0 + 140 s); its write fails. The
    // retry holds dan only (a poller rebalance re-forms the batch; or eve's record expired).
    const { deps, aggregates, failCheckpointWrite } = await shard();
    const records = clickRecords([click('dan', T0 + 125 * S), click('eve', T0 + 140 * S)], 7);
    failCheckpointWrite();

    // Act
    const attempt = await aggregateBatch(records, deps);
    const retry = await aggregateBatch(records.slice(0, 1), deps);
    await aggregateBatch(clickRecords([click('fay', T0 + 200 * S)], 9), deps);

    // Assess
    expect(attempt.response.batchItemFailures).toHaveLength(1);
    expect(retry.response.batchItemFailures).toEqual([]);
    expect(annWindow(aggregates.records)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
  });

  it('Kafka (local ESM emulation): a record expires between attempt and retry; the retry, a strict subset, sends the window with the same value', async () => {
    // Prepare: partition 0 of a topic whose aggregator shard is `topic-0`; the same history as
    // above, put through Kafka records (offset = sequence number)
    const TOPIC = 't';
    const SHARD_K = `${TOPIC}-0`;
    const store = new MemoryStateStore();
    let putsUntilFailure = 0;
    const failing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (putsUntilFailure > 0 && --putsUntilFailure === 0) {
          throw Object.assign(new Error('Slow Down'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return store.put(...args);
      },
    });
    const harness = memoryDeps({ stateStore: failing });
    const deps = { ...harness.deps, checkpointCache: undefined };
    let now = 1_800_000_000_000;
    const at = (offset: number, c: Click, timestamp = now): KafkaRecord => ({
      topic: TOPIC,
      partition: 0,
      offset: String(offset),
      timestamp,
      key: Buffer.from(c.user),
      value: Buffer.from(encodeEnvelope({ pipeline: clicksPipeline.name, key: c.user, ts: c.at, event: c })),
      headers: [],
    });
    const asStream = (r: KafkaRecord) => toStreamRecord(mskEventRecord(r), 'arn');
    const run = (records: KafkaRecord[]) =>
      aggregateBatch(records.map(asStream), deps, { denseOffsets: true });
    await run([at(0, click('ann', T0 + 1 * S)), at(1, click('ann', T0 + 20 * S))]);
    await run([at(4, click('ann', T0 + 75 * S)), at(5, click('carl', T0 + 80 * S))]);
    await queueRedrive(
      SHARD_K,
      [at(2, click('bob', T0 + 30 * S)), at(3, click('ann', T0 + 65 * S))].map(asStream),
      { from: '2', to: '3' },
      deps,
    );
    const batch = [at(6, click('eve', T0 + 140 * S), now - DAY + 500), at(7, click('dan', T0 + 125 * S))];
    const invocations: string[][] = [];
    putsUntilFailure = 1;

    // Act: the Kafka mapping as deployed (batch retried whole, maximum record age 1 day)
    await deliverKafkaBatch(
      batch,
      { maximumRetryAttempts: 10, maximumRecordAgeSeconds: 86_400 },
      {
        invoke: async (records) => {
          invocations.push(records.map((r) => r.offset));
          const { response } = await run([...records]);
          return response.batchItemFailures.length > 0
            ? { kind: 'failure', reason: 'KafkaBatchNotAppliedError' }
            : { kind: 'success' };
        },
        discard: async () => {},
        processed: () => {},
        now: () => now,
        backoff: async () => {
          now += 1000;
        },
        stopped: () => false,
      },
    );
    await run([at(8, click('fay', T0 + 200 * S))]);

    // Assess
    expect(invocations).toEqual([['6', '7'], ['7']]);
    expect(annWindow(harness.aggregates.records)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
  });

  it('a record queued between a failed attempt and its halves goes to late/ for the window the attempt sent', async () => {
    // Prepare: the shard at T0 + 80 s, nothing queued; the attempt's checkpoint write will fail
    const store = new MemoryStateStore();
    let fail = false;
    const failing = Object.assign(Object.create(store) as MemoryStateStore, {
      put: async (...args: Parameters<MemoryStateStore['put']>) => {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('Slow Down'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return store.put(...args);
      },
    });
    const { deps, aggregates, late } = memoryDeps({ stateStore: failing });
    await aggregateBatch(clickRecords([click('ann', T0 + 1 * S), click('ann', T0 + 20 * S)], 1), deps);
    await aggregateBatch(clickRecords([click('ann', T0 + 75 * S), click('carl', T0 + 80 * S)], 5), deps);
    const [dan, eve] = clickRecords([click('dan', T0 + 100 * S), click('eve', T0 + 135 * S)], 7);
    if (!dan || !eve) throw new Error('records expected');
    fail = true;

    // Act: the attempt (to T0 + 135 s) closes and sends ann's window [T0 + 60 s, T0 + 120 s) and
    // fails; a redrive queues ann's click at T0 + 65 s; Lambda delivers the halves
    const whole = await aggregateBatch([dan, eve], deps);
    await queueRedrive(
      SHARD,
      clickRecords([click('ann', T0 + 65 * S)], 4),
      { from: sequenceNumber(4), to: sequenceNumber(4) },
      deps,
    );
    await aggregateBatch([dan], deps);
    await aggregateBatch([eve], deps);

    // Assess: one value per result id, and ann's redriven click in late/
    expect(whole.response.batchItemFailures).toHaveLength(1);
    expect(annWindow(aggregates.records)).toEqual([
      { clicks: 1, amount: 1 },
      { clicks: 1, amount: 1 },
    ]);
    expect(late.records).toContainEqual(expect.objectContaining({ key: 'ann', ts: T0 + 65 * S }));
  });

  it('loses no queued record when the attempt sent the window, its late put failed, and the retry holds a prefix', async () => {
    // Prepare: as above; the attempt's aggregates put succeeds, its late put is throttled
    const { deps, aggregates, late } = await shard();
    // gus's click at T0 + 5 s is late (its own late row), so the attempt puts late rows before and after the change
    const records = clickRecords(
      [click('gus', T0 + 5 * S), click('dan', T0 + 125 * S), click('eve', T0 + 140 * S)],
      7,
    );
    let throttled = false;
    const flaky = {
      put: async (rows: readonly object[]) => {
        if (!throttled && rows.length > 0) {
          throttled = true;
          throw Object.assign(new Error('throttled'), { name: 'ServiceUnavailableException' });
        }
        return late.put(rows);
      },
    };

    // Act: attempt (fails at the late put), a retry holding dan's record only, the next batch
    const attempt = await aggregateBatch(records, { ...deps, late: flaky });
    await aggregateBatch(records.slice(0, 2), { ...deps, late: flaky });
    await aggregateBatch(clickRecords([click('fay', T0 + 200 * S)], 10), { ...deps, late: flaky });

    // Assess: the warehouse keeps the first row of a result id
    expect(attempt.response.batchItemFailures).toHaveLength(1);
    const first = new Map<string, AggregateRecord>();
    for (const r of aggregates.records as AggregateRecord[]) if (!first.has(r.id)) first.set(r.id, r);
    const annKept = [...first.values()].find((r) => r.key === 'ann' && r.window_start === T0 + 60 * S);
    const annLate = (late.records as { key: string; ts: number }[]).filter(
      (r) => r.key === 'ann' && r.ts === T0 + 65 * S,
    );
    // ann's redriven click at T0 + 65 s is in late/ once, the kept row as the attempt sent it
    expect({ kept: annKept?.values, late: annLate.length }).toEqual({
      kept: { clicks: 1, amount: 1 },
      late: 1,
    });
  });
});
