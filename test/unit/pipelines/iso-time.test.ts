import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseIsoTime, readIsoTime } from '../../../functions/pipelines/iso-time.js';

const pad = (value: number, width: number) => String(value).padStart(width, '0');

// Date-times in the fast path's shape, with fields past their ranges too (Date.parse decides those).
const isoLike = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 60 }),
    ms: fc.option(fc.integer({ min: 0, max: 999 })),
    zone: fc.oneof(
      fc.constant('Z'),
      fc.record({
        sign: fc.constantFrom('+', '-'),
        hours: fc.integer({ min: 0, max: 24 }),
        minutes: fc.integer({ min: 0, max: 60 }),
      }),
    ),
  })
  .map(({ year, month, day, hour, minute, second, ms, zone }) => {
    const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    const time = `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${ms === null ? '' : `.${pad(ms, 3)}`}`;
    const offset =
      typeof zone === 'string' ? zone : `${zone.sign}${pad(zone.hours, 2)}:${pad(zone.minutes, 2)}`;
    return `${date}T${time}${offset}`;
  });

describe('parseIsoTime', () => {
  it('answers as Date.parse on ISO date-times, valid or not', () => {
    fc.assert(
      fc.property(isoLike, (text) => {
        // Act
        const fast = parseIsoTime(text);

        // Assess
        expect(fast).toEqual(Date.parse(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    '2025-01-01T05:18:38Z',
    '2024-02-29T23:59:59.999+05:30',
    '1970-01-01T00:00:00.000Z',
    '0001-03-01T00:00:00-00:01',
    '0000-01-01T00:00:00Z',
    '0000-02-29T23:59:59.999+01:00',
    '0000-03-01T00:00:00Z',
    '9999-12-31T23:59:59.999-23:59',
    '2025-02-29T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '2025-01-01T05:18:38',
    '2025-01-01 05:18:38Z',
    '2025-01-01T05:18:38.1234Z',
    '2025-01-01T05:18:38+0100',
    '2025-01-01T05:18:38z',
    '2025-01-01T05:1a:38Z',
    'not a date at all!!!',
    '',
  ])('answers as Date.parse on %j', (text) => {
    // Act
    const fast = parseIsoTime(text);

    // Assess
    expect(fast).toEqual(Date.parse(text));
  });

  it('answers as Date.parse on any text of the fast path lengths', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 20, maxLength: 29, unit: fc.constantFrom(...'0123456789-:T.Z+ ') }),
        (text) => {
          expect(parseIsoTime(text)).toEqual(Date.parse(text));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

describe('readIsoTime', () => {
  // The taxi event reader takes a date-time readIsoTime reads as one the schema's format accepts.
  const zodFormat = z.iso.datetime({ offset: true });

  it('reads only date-times that z.iso.datetime({ offset: true }) accepts, as Date.parse does', () => {
    let readable = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          isoLike,
          fc.string({ minLength: 20, maxLength: 29, unit: fc.constantFrom(...'0123456789-:T.Z+ ') }),
        ),
        (text) => {
          // Act
          const read = readIsoTime(text);

          // Assess
          if (!Number.isNaN(read)) {
            readable += 1;
            expect(zodFormat.safeParse(text).success).toBe(true);
            expect(read).toEqual(Date.parse(text));
          }
        },
      ),
      { numRuns: 20_000 },
    );
    // The checks above run only on what readIsoTime reads: make sure that is not next to nothing.
    expect(readable).toBeGreaterThan(1_000);
  });
});
