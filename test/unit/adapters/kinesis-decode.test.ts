import type { KinesisStreamEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparePositions,
  decodeKinesisRecord,
  decodePlainText,
} from '../../../functions/adapters/kinesis/decode.js';
import { aggregateRecords, isKplAggregated } from '../../../functions/adapters/kinesis/kpl.js';
import { awsSample, kinesisRecord } from '../../fixtures/kinesis-events.js';

describe('decodeKinesisRecord', () => {
  it('passes the records of the AWS sample event through as plain user records', () => {
    // Prepare
    const event = awsSample<KinesisStreamEvent>('powertools-python-kinesis-stream-event.json');

    // Act
    const outcomes = event.Records.flatMap((record) => decodeKinesisRecord(record));

    // Assess
    expect(outcomes.map((o) => (o.ok ? o.record.data.toString() : o.error.reason))).toEqual([
      'Hello, this is a test.',
      'This is only a test.',
    ]);
    const first = outcomes[0];
    expect(first?.ok && first.record).toMatchObject({
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: undefined,
      partitionKey: '1',
      arrivalTime: 1545084650987,
    });
  });

  it('de-aggregates a KPL record built by aws-kinesis-agg into its user records, in order', () => {
    // Prepare
    const users = ['a', 'b', 'c'].map((id) => ({ partitionKey: 'k1', data: Buffer.from(`{"id":"${id}"}`) }));
    const [aggregated] = aggregateRecords(users);
    if (!aggregated) throw new Error('expected one aggregated record');
    const record = kinesisRecord({ data: aggregated.data, partitionKey: aggregated.partitionKey, n: 1 });

    // Act
    const outcomes = decodeKinesisRecord(record);

    // Assess
    expect(isKplAggregated(aggregated.data)).toBe(true);
    expect(aggregated.members).toEqual([0, 1, 2]);
    expect(outcomes.map((o) => o.ok && [o.record.subSequenceNumber, o.record.data.toString()])).toEqual([
      [0, '{"id":"a"}'],
      [1, '{"id":"b"}'],
      [2, '{"id":"c"}'],
    ]);
  });

  it('refuses a KPL record whose checksum does not match, as poison', () => {
    // Prepare
    const [aggregated] = aggregateRecords([{ partitionKey: 'k', data: Buffer.from('{"x":1}') }]);
    if (!aggregated) throw new Error('expected one aggregated record');
    const tampered = Buffer.from(aggregated.data);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;

    // Act
    const [outcome] = decodeKinesisRecord(kinesisRecord({ data: tampered, partitionKey: 'k', n: 1 }));

    // Assess
    expect(outcome?.ok).toBe(false);
    expect(outcome?.ok === false && outcome.error.reason).toBe('kpl-checksum');
  });

  it('refuses data that is not base64 and records over the size limit, each with its reason', () => {
    // Prepare
    const notBase64 = kinesisRecord({ data: 'x', partitionKey: 'k', n: 1 });
    notBase64.kinesis.data = 'not base64!';
    const oversized = kinesisRecord({ data: Buffer.alloc(1024 * 1024 + 1, 0x20), partitionKey: 'k', n: 2 });

    // Act
    const outcomes = [...decodeKinesisRecord(notBase64), ...decodeKinesisRecord(oversized)];

    // Assess
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.error.reason))).toEqual(['not-base64', 'oversized']);
    expect(outcomes[1]?.ok === false && outcomes[1].error.message).toContain('given 1048577');
  });
});

describe('comparePositions', () => {
  it('orders 56-digit sequence numbers exactly (beyond Number precision) and then sub-sequence numbers', () => {
    // Prepare: these two differ only past the 17th significant digit.
    const a = {
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: undefined,
    };
    const b = {
      sequenceNumber: '49590338271490256608559692538361571095921575989136588899',
      subSequenceNumber: undefined,
    };

    // Act / Assess
    expect(Number(a.sequenceNumber)).toBe(Number(b.sequenceNumber));
    expect(comparePositions(a, b)).toBeLessThan(0);
    expect(comparePositions(b, a)).toBeGreaterThan(0);
    expect(comparePositions({ ...a, subSequenceNumber: 2 }, { ...a, subSequenceNumber: 1 })).toBeGreaterThan(
      0,
    );
    expect(comparePositions(a, { ...a, subSequenceNumber: 0 })).toBeLessThan(0);
  });
});

describe('decodePlainText', () => {
  it('decodes a plain record to the text decodeKinesisRecord gives, ASCII or not', () => {
    // Prepare
    const long = `{"text":"${'é'.repeat(70_000)}"}`;
    const texts = ['{"a":1}', long, 'short again', ''];

    // Act
    const decoded = texts.map((t) => decodePlainText(Buffer.from(t).toString('base64')));

    // Assess
    expect(decoded).toEqual(texts);
  });

  it.each([
    ['not base64', 'abc*', undefined],
    ['a length that is not a multiple of 4', 'abcde', undefined],
    ['data over the size limit', Buffer.from('12345').toString('base64'), 4],
  ])('leaves %s to decodeKinesisRecord', (_, data, maxBytes) => {
    // Prepare
    const record = kinesisRecord({ data: 'x', partitionKey: 'k1', n: 1 });
    record.kinesis.data = data;

    // Act
    const text = decodePlainText(data, maxBytes);
    const outcomes = decodeKinesisRecord(record, { maxRecordBytes: maxBytes });

    // Assess
    expect(text).toBeUndefined();
    expect(outcomes.map((o) => o.ok)).toEqual([false]);
  });

  it('gives the text decodeKinesisRecord gives, or leaves the record to it, on any data text', () => {
    const base64ish = fc.string({
      maxLength: 24,
      unit: fc.constantFrom(...'QUJDRA0123abc+/=-_ \n*'),
    });
    const encoded = fc.uint8Array({ maxLength: 18 }).map((bytes) => Buffer.from(bytes).toString('base64'));
    let decoded = 0;
    fc.assert(
      fc.property(fc.oneof(base64ish, encoded), (data) => {
        // Prepare
        const record = kinesisRecord({ data: 'x', partitionKey: 'k1', n: 1 });
        record.kinesis.data = data;

        // Act
        const text = decodePlainText(data);
        const [outcome, ...more] = decodeKinesisRecord(record);

        // Assess
        if (text !== undefined) {
          decoded += 1;
          expect(more).toEqual([]);
          expect(outcome?.ok && outcome.record.data.toString('utf8')).toBe(text);
        }
      }),
      { numRuns: 5000 },
    );
    // The checks above run only on the texts decodePlainText decodes: make sure there are many.
    expect(decoded).toBeGreaterThan(500);
  });

  it('leaves a KPL aggregated record to decodeKinesisRecord', () => {
    // Prepare
    const [aggregated] = aggregateRecords([{ partitionKey: 'k1', data: Buffer.from('{"id":"a"}') }]);
    if (!aggregated) throw new Error('expected one aggregated record');

    // Act
    const text = decodePlainText(aggregated.data.toString('base64'));

    // Assess
    expect(text).toBeUndefined();
  });
});
