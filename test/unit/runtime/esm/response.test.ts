import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../../local/runtime/event-source-mapping/response.js';
import type { StreamRecord } from '../../../../local/runtime/kinesis/shard-source.js';
import type { InvokeResult } from '../../../../local/runtime/lambda/index.js';

const batch: StreamRecord[] = ['100', '200', '300'].map((sequenceNumber) => ({
  sequenceNumber,
  partitionKey: 'k',
  data: new Uint8Array(),
  approximateArrivalTimestamp: 0,
}));
const returned = (payload: unknown): InvokeResult => ({
  ok: true,
  payload,
  requestId: 'r',
  durationMs: 1,
  coldStart: false,
});
const rbif = { reportBatchItemFailures: true, tumblingWindow: false };

describe('classifyResponse', () => {
  it.each([
    ['null', null],
    ['an empty object', {}],
    ['a null list', { batchItemFailures: null }],
    ['an empty list', { batchItemFailures: [] }],
  ])('treats %s as a complete success', (_name, payload) => {
    // Act
    const outcome = classifyResponse(returned(payload), batch, rbif);

    // Assess
    expect(outcome.kind).toBe('success');
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ itemId: '200' }] }],
    ['a sequence number not in the batch', { batchItemFailures: [{ itemIdentifier: '999' }] }],
    ['a non-list', { batchItemFailures: '200' }],
    ['a string response', 'ok'],
  ])('treats %s as a complete failure', (_name, payload) => {
    // Act
    const outcome = classifyResponse(returned(payload), batch, rbif);

    // Assess
    expect(outcome.kind).toBe('failure');
  });

  it('resumes from the lowest reported sequence number, compared as numbers', () => {
    // Prepare
    const records = ['99', '100', '1000'].map((s) => ({ ...batch[0], sequenceNumber: s }) as StreamRecord);

    // Act
    const outcome = classifyResponse(
      returned({ batchItemFailures: [{ itemIdentifier: '1000' }, { itemIdentifier: '100' }] }),
      records,
      rbif,
    );

    // Assess
    expect(outcome).toEqual({ kind: 'partial', failedSequenceNumber: '100', state: undefined });
  });

  it('ignores a reported failure when the mapping does not enable ReportBatchItemFailures', () => {
    // Act
    const outcome = classifyResponse(returned({ batchItemFailures: [{ itemIdentifier: '200' }] }), batch, {
      reportBatchItemFailures: false,
      tumblingWindow: false,
    });

    // Assess
    expect(outcome.kind).toBe('success');
  });

  it('fails a tumbling window invocation whose response has no state', () => {
    // Act
    const missing = classifyResponse(returned({ batchItemFailures: [] }), batch, {
      ...rbif,
      tumblingWindow: true,
    });
    const present = classifyResponse(returned({ state: { n: 1 } }), batch, { ...rbif, tumblingWindow: true });

    // Assess
    expect(missing.kind).toBe('failure');
    expect(present).toEqual({ kind: 'success', state: { n: 1 } });
  });

  it('fails the batch on a function error, keeping the error', () => {
    // Act
    const outcome = classifyResponse(
      {
        ok: false,
        functionError: 'Unhandled',
        error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' },
        requestId: 'r',
        durationMs: 1,
        coldStart: false,
      },
      batch,
      rbif,
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'failure', functionError: { errorType: 'Sandbox.Timedout' } });
  });
});
