import { describe, expect, it } from 'vitest';
import {
  encodeEnvelope,
  envelopeSchema,
  readEnvelope,
} from '../../../functions/adapters/kinesis/envelope.js';

const valid = { v: 1, pipeline: 'taxi-rides', key: '132', ts: 1_767_225_600_000, event: { a: 1 } };

describe('readEnvelope', () => {
  it.each([
    ['a valid envelope', valid],
    ['a null event', { ...valid, event: null }],
    ['extra fields', { ...valid, extra: true }],
    ['version 2', { ...valid, v: 2 }],
    ['an empty key', { ...valid, key: '' }],
    ['a numeric key', { ...valid, key: 132 }],
    ['a fractional ts', { ...valid, ts: 1.5 }],
    ['a negative ts', { ...valid, ts: -1 }],
    ['a ts in seconds as a string', { ...valid, ts: '1767225600' }],
    ['no event', { v: 1, pipeline: 'p', key: 'k', ts: 1 }],
    ['no pipeline', { v: 1, key: 'k', ts: 1, event: {} }],
    ['an array', [valid]],
    ['a string', 'hello'],
    ['null', null],
  ])('accepts and refuses like envelopeSchema: %s', (_name, candidate) => {
    // Act
    const byHand = readEnvelope(candidate);
    const byZod = envelopeSchema.safeParse(candidate);

    // Assess
    expect(typeof byHand !== 'string').toBe(byZod.success);
    if (byZod.success) expect(byHand).toEqual({ ...byZod.data });
  });

  it('reads back what encodeEnvelope writes', () => {
    // Act
    const read = readEnvelope(JSON.parse(encodeEnvelope(valid).toString()));

    // Assess
    expect(read).toEqual(valid);
  });
});
