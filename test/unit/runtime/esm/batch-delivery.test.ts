import { describe, expect, it } from 'vitest';
import {
  type DeliveryPolicy,
  deliverBatch,
} from '../../../../local/runtime/event-source-mapping/batch-delivery.js';
import type { DiscardedBatch } from '../../../../local/runtime/event-source-mapping/on-failure.js';
import type { InvocationOutcome } from '../../../../local/runtime/event-source-mapping/response.js';
import type { StreamRecord } from '../../../../local/runtime/kinesis/shard-source.js';

const NOW = 1_700_000_000_000;

function records(n: number, arrival = NOW): StreamRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    sequenceNumber: String(1000 + i),
    partitionKey: `k${i}`,
    data: new TextEncoder().encode(String(i)),
    approximateArrivalTimestamp: arrival,
  }));
}

/** A function that fails every batch holding a poison sequence number, and records every call. */
function harness(
  policy: Partial<DeliveryPolicy>,
  respond: (batch: readonly StreamRecord[]) => InvocationOutcome,
) {
  const calls: string[][] = [];
  const processed: string[] = [];
  const discarded: DiscardedBatch[] = [];
  const run = (batch: StreamRecord[]) =>
    deliverBatch(
      batch,
      { bisectBatchOnFunctionError: false, maximumRetryAttempts: -1, maximumRecordAgeSeconds: -1, ...policy },
      {
        invoke: async (b) => {
          calls.push(b.map((r) => r.sequenceNumber));
          return respond(b);
        },
        discard: async (d) => {
          discarded.push(d);
        },
        processed: (b) => processed.push(...b.map((r) => r.sequenceNumber)),
        now: () => NOW,
        backoff: async () => {},
        stopped: () => false,
      },
    );
  return { calls, processed, discarded, run };
}

const poison =
  (...bad: string[]) =>
  (batch: readonly StreamRecord[]): InvocationOutcome =>
    batch.some((r) => bad.includes(r.sequenceNumber))
      ? { kind: 'failure', reason: 'boom' }
      : { kind: 'success' };

describe('deliverBatch', () => {
  it('bisects a failing batch down to the poison record, which alone exhausts its retries', async () => {
    // Prepare
    const h = harness({ bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 }, poison('1002'));

    // Act
    await h.run(records(8));

    // Assess
    expect(h.calls.slice(0, 4)).toEqual([
      ['1000', '1001', '1002', '1003', '1004', '1005', '1006', '1007'],
      ['1000', '1001', '1002', '1003'],
      ['1000', '1001'],
      ['1002', '1003'],
    ]);
    // the single poison record: first try plus 2 retries
    expect(h.calls.filter((c) => c.length === 1 && c[0] === '1002')).toHaveLength(3);
    expect(h.processed.sort()).toEqual(['1000', '1001', '1003', '1004', '1005', '1006', '1007']);
    expect(h.discarded).toHaveLength(1);
    expect(h.discarded[0]).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    expect(h.discarded[0]?.records.map((r) => r.sequenceNumber)).toEqual(['1002']);
  });

  it('without bisection retries the whole batch MaximumRetryAttempts times, then discards it whole', async () => {
    // Prepare
    const h = harness({ maximumRetryAttempts: 3 }, poison('1001'));

    // Act
    await h.run(records(4));

    // Assess
    expect(h.calls).toHaveLength(4);
    expect(h.processed).toEqual([]);
    expect(h.discarded[0]?.records).toHaveLength(4);
    expect(h.discarded[0]?.approximateInvokeCount).toBe(4);
  });

  it('after a partial batch response checkpoints before the failed record and retries from it', async () => {
    // Prepare
    let failedOnce = false;
    const h = harness({ maximumRetryAttempts: 5 }, (batch) => {
      if (!failedOnce && batch.some((r) => r.sequenceNumber === '1002')) {
        failedOnce = true;
        return { kind: 'partial', failedSequenceNumber: '1002' };
      }
      return { kind: 'success' };
    });

    // Act
    await h.run(records(5));

    // Assess
    expect(h.calls).toEqual([
      ['1000', '1001', '1002', '1003', '1004'],
      ['1002', '1003', '1004'],
    ]);
    expect(h.processed).toEqual(['1000', '1001', '1002', '1003', '1004']);
    expect(h.discarded).toEqual([]);
  });

  it('counts partial failures as retries and discards the remainder when they run out', async () => {
    // Prepare
    const h = harness({ maximumRetryAttempts: 1 }, () => ({ kind: 'partial', failedSequenceNumber: '1001' }));

    // Act
    await h.run(records(3));

    // Assess
    expect(h.calls).toEqual([
      ['1000', '1001', '1002'],
      ['1001', '1002'],
    ]);
    expect(h.processed).toEqual(['1000']);
    expect(h.discarded[0]?.records.map((r) => r.sequenceNumber)).toEqual(['1001', '1002']);
  });

  it('discards records older than MaximumRecordAgeInSeconds without invoking the function', async () => {
    // Prepare
    const h = harness({ maximumRecordAgeSeconds: 60 }, () => ({ kind: 'success' }));
    const batch = [...records(2, NOW - 61_000), ...records(1)].map((r, i) => ({
      ...r,
      sequenceNumber: String(i),
    }));

    // Act
    await h.run(batch);

    // Assess
    expect(h.discarded[0]).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(h.discarded[0]?.records).toHaveLength(2);
    expect(h.calls).toEqual([['2']]);
  });

  it('retries forever with MaximumRetryAttempts -1 until the batch succeeds', async () => {
    // Prepare
    let attempts = 0;
    const h = harness({}, () =>
      ++attempts < 25 ? { kind: 'failure', reason: 'flaky' } : { kind: 'success' },
    );

    // Act
    await h.run(records(2));

    // Assess
    expect(h.calls).toHaveLength(25);
    expect(h.processed).toEqual(['1000', '1001']);
    expect(h.discarded).toEqual([]);
  });
  it('retries a batch that never reached the function as it is: no bisection, no retry attempt used', async () => {
    // Prepare: the first two requests cannot be made; no retries allowed, bisection on.
    let attempts = 0;
    const h = harness({ maximumRetryAttempts: 0, bisectBatchOnFunctionError: true }, () =>
      ++attempts <= 2 ? { kind: 'not-invoked', reason: 'function was closed' } : { kind: 'success' },
    );

    // Act
    await h.run(records(4));

    // Assess
    expect(h.calls).toEqual([0, 1, 2].map(() => ['1000', '1001', '1002', '1003']));
    expect(h.processed).toEqual(['1000', '1001', '1002', '1003']);
    expect(h.discarded).toEqual([]);
  });

  it('keeps retrying a batch that cannot reach the function until its records expire', async () => {
    // Prepare: every request fails before the function; each backoff lets 20 minutes pass.
    let now = NOW;
    const discarded: DiscardedBatch[] = [];
    const invoke = async (): Promise<InvocationOutcome> => ({ kind: 'not-invoked', reason: 'throttled' });

    // Act
    await deliverBatch(
      records(2),
      { bisectBatchOnFunctionError: true, maximumRetryAttempts: 1, maximumRecordAgeSeconds: 3600 },
      {
        invoke,
        discard: async (d) => {
          discarded.push(d);
        },
        processed: () => {},
        now: () => now,
        backoff: async () => {
          now += 20 * 60_000;
        },
        stopped: () => false,
      },
    );

    // Assess: discarded for their age (after 4 requests), not for retries, and never invoked.
    expect(discarded.map((d) => [d.condition, d.records.length, d.approximateInvokeCount])).toEqual([
      ['RecordAgeExceeded', 2, 0],
    ]);
    expect(now - NOW).toBe(4 * 20 * 60_000);
  });

  it('splits a batch over the request size limit, without using retry attempts', async () => {
    // Prepare
    const h = harness({ maximumRetryAttempts: 0 }, (batch) =>
      batch.length > 2
        ? { kind: 'not-invoked', reason: 'request payload too large', payloadTooLarge: true }
        : { kind: 'success' },
    );

    // Act
    await h.run(records(4));

    // Assess
    expect(h.calls).toEqual([
      ['1000', '1001', '1002', '1003'],
      ['1000', '1001'],
      ['1002', '1003'],
    ]);
    expect(h.processed).toEqual(['1000', '1001', '1002', '1003']);
    expect(h.discarded).toEqual([]);
  });
});
