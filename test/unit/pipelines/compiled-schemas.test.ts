import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generatorNames, getGenerator } from '../../../functions/pipelines/generators.js';
import { getPipeline } from '../../../functions/pipelines/index.js';

// definePipeline validates with z.compile(schema): these tests hold it to the plain schema's
// answers (accepted set, output, issues) on generated events and on mutations of them.

const DATE_TIMES = [
  '2025-01-01T05:18:38Z',
  '2025-01-01T05:18:38.123Z',
  '2025-01-01T05:18:38+01:00',
  '2025-01-01T05:18:38-05:00',
  '2025-01-01T05:18Z',
  '2025-01-01T05:18:38',
  '2025-01-01 05:18:38Z',
  '2025-02-29T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2025-04-31T00:00:00Z',
  '2025-13-01T00:00:00Z',
  '2025-01-01T24:00:00Z',
  '2025-01-01T05:60:00Z',
  '2025-01-01T05:18:38+0100',
  '2025-01-01T05:18:38z',
  '',
];

const jsonValue = fc.oneof(
  fc.constantFrom(...DATE_TIMES),
  fc.jsonValue({ maxDepth: 1 }),
  fc.integer({ min: -5, max: 300 }),
  fc.double({ noNaN: false }),
  fc.constant(undefined),
);

function samples(name: string, count: number): Record<string, unknown>[] {
  const pipeline = getPipeline(name);
  const generate = getGenerator(name);
  const out: Record<string, unknown>[] = [];
  for (const record of generate({ seed: 3, count, startMs: Date.UTC(2026, 0, 1), ratePerSec: 50 })) {
    const parsed = pipeline.parse(record.text, record.arrivalMs);
    if (parsed.ok) out.push(JSON.parse(JSON.stringify(parsed.event)) as Record<string, unknown>);
  }
  return out;
}

function outcome(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  return result.success ? { data: result.data } : { issues: result.error.issues };
}

describe.each(generatorNames)('the compiled %s schema', (name) => {
  const schema = getPipeline(name).config.schema as z.ZodType;
  const compiled = z.compile(schema);
  const events = samples(name, 200);

  it('accepts every generated event with the same output', () => {
    // Act
    const mismatches = events.filter(
      (e) => JSON.stringify(outcome(compiled, e)) !== JSON.stringify(outcome(schema, e)),
    );

    // Assess
    expect(events.length).toBeGreaterThan(100);
    expect(mismatches).toEqual([]);
  });

  it('answers like the plain schema on events with a field replaced', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: events.length - 1 }),
        fc.nat(),
        jsonValue,
        (index, fieldIndex, replacement) => {
          // Prepare
          const event = { ...events[index] };
          const fields = Object.keys(event);
          const field = fields[fieldIndex % fields.length] as string;
          event[field] = replacement;

          // Act
          const fast = outcome(compiled, event);
          const plain = outcome(schema, event);

          // Assess
          expect(fast).toEqual(plain);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
