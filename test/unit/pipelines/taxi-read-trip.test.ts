import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { definePipeline } from '../../../functions/core/pipeline.js';
import { getGenerator } from '../../../functions/pipelines/generators.js';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { readTaxiTrip } from '../../../functions/pipelines/taxi-rides/read-trip.js';

const pipeline = getPipeline('taxi-rides');

const generate = getGenerator('taxi-rides');
// The same definition without the reader: zod's answers, which the reader must never contradict.
const bySchema = definePipeline({ ...pipeline.config, read: undefined });

const events: Record<string, unknown>[] = [];
for (const record of generate({ seed: 5, count: 400, startMs: Date.UTC(2026, 0, 1), ratePerSec: 20 })) {
  const parsed = bySchema.parse(record.text);
  if (parsed.ok) events.push(JSON.parse(JSON.stringify(parsed.event)));
}

/** parseEvent's answer, with the event's key order (the warehouse gets its JSON). */
function answer(outcome: ReturnType<typeof bySchema.parseEvent>) {
  return outcome.ok ? { ...outcome, order: Object.keys(outcome.event as object) } : outcome;
}

const replacement = fc.oneof(
  fc.constantFrom(
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00.5Z',
    '2026-01-01T01:00:00+01:00',
    '2025-12-31T23:59:59.999-05:00',
    '2026-02-29T00:00:00Z',
    '1969-12-31T23:59:59Z',
    'Y',
    'N',
    'y',
    null,
    -0,
    265,
    266,
    99,
  ),
  fc.jsonValue({ maxDepth: 1 }),
  fc.integer({ min: -5, max: 300 }),
  fc.double(),
  fc.constant(undefined),
);

describe('readTaxiTrip', () => {
  it('reads every generated event, with the answer of the schema', () => {
    // Act
    const mismatches = events.filter(
      (e) =>
        readTaxiTrip(e) === undefined ||
        JSON.stringify(answer(pipeline.parseEvent(e))) !==
          JSON.stringify(answer(bySchema.parseEvent(structuredClone(e)))),
    );

    // Assess
    expect(events.length).toBeGreaterThan(300);
    expect(mismatches).toEqual([]);
  });

  it('answers as the schema on events with a field replaced, removed, added or moved', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: events.length - 1 }),
        fc.nat(),
        fc.constantFrom('replace', 'remove', 'add', 'move'),
        replacement,
        (index, fieldIndex, change, value) => {
          // Prepare
          const event: Record<string, unknown> = { ...events[index] };
          const fields = Object.keys(event);
          const field = fields[fieldIndex % fields.length] as string;
          if (change === 'replace') event[field] = value;
          if (change === 'remove') delete event[field];
          if (change === 'add') event.extra_field = value;
          if (change === 'move') {
            const moved = event[field];
            delete event[field];
            event[field] = moved;
          }

          // Act
          const fast = answer(pipeline.parseEvent(event));
          const plain = answer(bySchema.parseEvent(structuredClone(event)));

          // Assess
          expect(fast).toEqual(plain);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', '{}'],
    ['an object without a prototype', Object.assign(Object.create(null), { VendorID: 1 })],
  ])('declines %s', (_name, candidate) => {
    expect(readTaxiTrip(candidate)).toBeUndefined();
  });

  it('declines an event with a prototype other than Object', () => {
    // Prepare
    const event = Object.assign(Object.create({ inherited: 1 }), events[0]);

    // Act, Assess
    expect(readTaxiTrip(event)).toBeUndefined();
  });
});
