import { describe, expect, it } from 'vitest';
import { StoppedError } from '../../../../local/runtime/event-source-mapping/errors.js';
import {
  deliverKafkaBatch,
  type KafkaDeliveryPolicy,
} from '../../../../local/runtime/event-source-mapping/kafka-delivery.js';
import type {
  DiscardedKafkaBatch,
  KafkaInvocationOutcome,
} from '../../../../local/runtime/event-source-mapping/kafka-on-failure.js';
import type { KafkaRecord } from '../../../../local/runtime/event-source-mapping/msk-event.js';

const NOW = 1_800_000_000_000;

const records = (n: number, timestamp = NOW): KafkaRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    topic: 't',
    partition: i % 2,
    offset: String(i),
    timestamp,
    key: null,
    value: Buffer.from(String(i)),
    headers: [],
  }));

const failure: KafkaInvocationOutcome = {
  kind: 'failure',
  reason: 'Error: boom',
  functionError: { errorType: 'Error', errorMessage: 'boom', trace: [] },
};

/** Delivers with scripted outcomes (the last one repeats); records what happened. */
async function deliver(
  batch: readonly KafkaRecord[],
  outcomes: KafkaInvocationOutcome[] | ((records: readonly KafkaRecord[]) => KafkaInvocationOutcome),
  policy: Partial<KafkaDeliveryPolicy> = {},
  stopAfter = Number.POSITIVE_INFINITY,
) {
  const invoked: string[][] = [];
  const discarded: DiscardedKafkaBatch[] = [];
  const processed: string[] = [];
  let backoffs = 0;
  const result = deliverKafkaBatch(
    batch,
    { maximumRetryAttempts: -1, maximumRecordAgeSeconds: -1, ...policy },
    {
      invoke: async (r) => {
        invoked.push(r.map((x) => x.offset));
        if (typeof outcomes === 'function') return outcomes(r);
        return outcomes[Math.min(invoked.length, outcomes.length) - 1] as KafkaInvocationOutcome;
      },
      discard: async (b) => {
        discarded.push(b);
      },
      processed: (r) => processed.push(...r.map((x) => x.offset)),
      now: () => NOW,
      backoff: async () => {
        backoffs += 1;
      },
      stopped: () => invoked.length >= stopAfter,
    },
  );
  return { result, invoked, discarded, processed, backoffs: () => backoffs };
}

describe('deliverKafkaBatch', () => {
  it('retries the same batch after a function error until it succeeds (infinite retries)', async () => {
    // Act
    const run = await deliver(records(3), [failure, failure, { kind: 'success' }]);
    await run.result;

    // Assess
    expect(run.invoked).toEqual([
      ['0', '1', '2'],
      ['0', '1', '2'],
      ['0', '1', '2'],
    ]);
    expect(run.processed).toEqual(['0', '1', '2']);
    expect(run.discarded).toEqual([]);
    expect(run.backoffs()).toBe(2);
  });

  it('discards the batch after MaximumRetryAttempts retries (RetryAttemptsExhausted)', async () => {
    // Act
    const run = await deliver(records(2), [failure], { maximumRetryAttempts: 2 });
    await run.result;

    // Assess: the first invocation and 2 retries
    expect(run.invoked).toHaveLength(3);
    expect(run.processed).toEqual([]);
    expect(run.discarded).toHaveLength(1);
    expect(run.discarded[0]).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
      lastOutcome: failure,
    });
    expect(run.discarded[0]?.records.map((r) => r.offset)).toEqual(['0', '1']);
  });

  it('discards records older than MaximumRecordAgeInSeconds before invoking with the rest', async () => {
    // Prepare
    const batch = [...records(2, NOW - 61_000), ...records(2, NOW - 1_000)];

    // Act
    const run = await deliver(batch, [{ kind: 'success' }], { maximumRecordAgeSeconds: 60 });
    await run.result;

    // Assess
    expect(run.discarded.map((d) => [d.condition, d.records.length, d.approximateInvokeCount])).toEqual([
      ['RecordAgeExceeded', 2, 0],
    ]);
    expect(run.invoked).toHaveLength(1);
    expect(run.invoked[0]).toHaveLength(2);
    expect(run.processed).toHaveLength(2);
  });

  it('retries a batch that never reached the function without counting it as a retry', async () => {
    // Act
    const notInvoked: KafkaInvocationOutcome = { kind: 'not-invoked', reason: 'closing' };
    const run = await deliver(records(1), [notInvoked, notInvoked, { kind: 'success' }], {
      maximumRetryAttempts: 0,
    });
    await run.result;

    // Assess
    expect(run.invoked).toHaveLength(3);
    expect(run.processed).toEqual(['0']);
    expect(run.discarded).toEqual([]);
  });

  it('splits a batch over the payload limit and discards a single record over it (MaximumPayloadSizeExceeded)', async () => {
    // Prepare: record 2 alone is too large
    const tooLarge: KafkaInvocationOutcome = { kind: 'not-invoked', reason: 'big', payloadTooLarge: true };

    // Act
    const run = await deliver(records(4), (r) =>
      r.some((x) => x.offset === '2') ? tooLarge : { kind: 'success' },
    );
    await run.result;

    // Assess
    expect(run.processed).toEqual(['0', '1', '3']);
    expect(run.discarded.map((d) => [d.condition, d.records.map((r) => r.offset)])).toEqual([
      ['MaximumPayloadSizeExceeded', ['2']],
    ]);
  });

  it('stops with StoppedError and processes nothing when the runner stops between retries', async () => {
    // Act
    const run = await deliver(records(2), [failure], {}, 2);

    // Assess
    await expect(run.result).rejects.toBeInstanceOf(StoppedError);
    expect(run.invoked).toHaveLength(2);
    expect(run.processed).toEqual([]);
    expect(run.discarded).toEqual([]);
  });
});
