import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, PipelineDefinitionError, toKeyedRecord } from '../../../functions/core/index.js';

const ride = z.object({ zone: z.string(), pickupMs: z.number(), fare: z.number() });

const config = {
  name: 'taxi-test',
  description: 'trips and revenue per zone',
  schema: ride,
  key: (e: z.output<typeof ride>) => e.zone,
  eventTime: (e: z.output<typeof ride>) => e.pickupMs,
  window: { type: 'tumbling' as const, sizeMs: 300_000, graceMs: 60_000 },
  aggregations: {
    trips: { fn: 'count' as const },
    revenue: { fn: 'sum' as const, field: (e: z.output<typeof ride>) => e.fare },
    zones: { fn: 'distinct' as const, field: (e: z.output<typeof ride>) => e.zone },
  },
};

describe('definePipeline', () => {
  it('parses a record into event, key and event time', () => {
    // Prepare
    const pipeline = definePipeline(config);

    // Act
    const outcome = pipeline.parse('{"zone":"Z1","pickupMs":1000,"fare":12.5}');

    // Assess
    expect(outcome).toEqual({
      ok: true,
      event: { zone: 'Z1', pickupMs: 1000, fare: 12.5 },
      key: 'Z1',
      ts: 1000,
    });
  });

  it.each([
    ['{"zone":', /cannot decode/],
    ['{"zone":"Z1","pickupMs":"soon","fare":1}', /does not match the taxi-test schema.*pickupMs/s],
    ['{"zone":"","pickupMs":1,"fare":1}', /key must be a non-empty string \(given ""\)/],
    [
      '{"zone":"Z1","pickupMs":-1,"fare":1}',
      /event time must be a whole number of epoch ms >= 0 \(given -1\)/,
    ],
  ])('rejects %s with a reason', (text, reason) => {
    // Act
    const outcome = definePipeline(config).parse(text);

    // Assess
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toMatch(reason);
  });

  it('validates an already-decoded event with the same checks as parse', () => {
    // Prepare
    const pipeline = definePipeline(config);

    // Act
    const valid = pipeline.parseEvent({ zone: 'Z1', pickupMs: 1000, fare: 12.5 });
    const wrongType = pipeline.parseEvent({ zone: 'Z1', pickupMs: 'soon', fare: 1 });
    const negative = pipeline.parseEvent({ zone: 'Z1', pickupMs: -1, fare: 1 });

    // Assess
    expect(valid).toEqual(pipeline.parse('{"zone":"Z1","pickupMs":1000,"fare":12.5}'));
    expect(wrongType).toEqual(pipeline.parse('{"zone":"Z1","pickupMs":"soon","fare":1}'));
    expect(!negative.ok && negative.reason).toMatch(/event time must be a whole number/);
  });

  it('uses the arrival time instead of the event time when asked', () => {
    // Prepare
    const pipeline = definePipeline({ ...config, timeSource: 'arrival' });

    // Act
    const withArrival = pipeline.parse('{"zone":"Z1","pickupMs":1000,"fare":1}', 99_000);
    const without = pipeline.parse('{"zone":"Z1","pickupMs":1000,"fare":1}');

    // Assess
    expect(withArrival.ok && withArrival.ts).toBe(99_000);
    expect(!without.ok && without.reason).toMatch(/arrival time must be/);
  });

  describe('with a read fast path', () => {
    type Ride = z.output<typeof ride>;
    // Reads only rides with a fare of 7: everything else is declined to the schema.
    const readSevens = (candidate: unknown) => {
      const e = candidate as Partial<Ride> | null;
      return e?.fare === 7 && typeof e.zone === 'string' && typeof e.pickupMs === 'number'
        ? { event: e as Ride, ts: e.pickupMs }
        : undefined;
    };

    it('uses what read returns, the candidate itself, without the schema', () => {
      // Prepare
      const seen: unknown[] = [];
      const pipeline = definePipeline({
        ...config,
        read: (c) => {
          seen.push(c);
          return readSevens(c);
        },
      });
      const candidate = { zone: 'Z1', pickupMs: 1000, fare: 7 };

      // Act
      const outcome = pipeline.parseEvent(candidate);
      const fromText = pipeline.parse('{"zone":"Z2","pickupMs":2000,"fare":7}');

      // Assess
      expect(outcome).toEqual({ ok: true, event: candidate, key: 'Z1', ts: 1000 });
      expect(outcome.ok && outcome.event).toBe(candidate);
      expect(fromText).toEqual({
        ok: true,
        event: { zone: 'Z2', pickupMs: 2000, fare: 7 },
        key: 'Z2',
        ts: 2000,
      });
      expect(seen).toHaveLength(2);
    });

    it('gives a declined candidate to the schema, with its reasons', () => {
      // Prepare
      const fast = definePipeline({ ...config, read: readSevens });
      const plain = definePipeline(config);
      const invalid = { zone: 'Z1', pickupMs: 'soon', fare: 1 };

      // Act, Assess
      expect(fast.parseEvent(invalid)).toEqual(plain.parseEvent(invalid));
      expect(fast.parseEvent({ zone: 'Z1', pickupMs: 1, fare: 2 })).toEqual({
        ok: true,
        event: { zone: 'Z1', pickupMs: 1, fare: 2 },
        key: 'Z1',
        ts: 1,
      });
    });

    it('holds what read returns to the key and event time rules', () => {
      // Prepare
      const pipeline = definePipeline({ ...config, read: readSevens });

      // Act
      const emptyKey = pipeline.parseEvent({ zone: '', pickupMs: 1000, fare: 7 });
      const negative = pipeline.parseEvent({ zone: 'Z1', pickupMs: -1, fare: 7 });

      // Assess
      expect(emptyKey).toEqual(definePipeline(config).parseEvent({ zone: '', pickupMs: 1000, fare: 7 }));
      expect(!negative.ok && negative.reason).toMatch(/event time must be a whole number.*given -1/);
    });

    it('is refused with arrival time', () => {
      // Act / Assess
      expect(() => definePipeline({ ...config, timeSource: 'arrival', read: readSevens })).toThrow(
        /read needs event time/,
      );
    });
  });

  it('creates an engine computing the declared aggregations', () => {
    // Prepare
    const pipeline = definePipeline(config);
    const texts = ['{"zone":"Z1","pickupMs":1000,"fare":10}', '{"zone":"Z1","pickupMs":2000,"fare":5}'];
    const records = texts.map((t) => pipeline.parse(t)).flatMap((o) => (o.ok ? [toKeyedRecord(o)] : []));

    // Act
    const engine = pipeline.createEngine();
    const { results } = engine.flush(engine.process(undefined, records).state);

    // Assess
    expect(results).toEqual([
      { key: 'Z1', windowStart: 0, windowEnd: 300_000, values: { trips: 2, revenue: 15, zones: 1 } },
    ]);
    expect(pipeline.emit).toBe('final');
  });

  it.each([
    [{ name: 'Taxi Rides' }, /kebab-case.*given "Taxi Rides"/],
    [{ aggregations: {} }, /at least one aggregation/],
    [{ aggregations: { 'trip count': { fn: 'count' as const } } }, /identifiers.*given "trip count"/],
    [{ window: { type: 'tumbling' as const, sizeMs: 0, graceMs: 0 } }, /sizeMs/],
    [{ description: ' ' }, /description must not be empty/],
  ])('refuses a definition breaking a rule: %j', (change, message) => {
    // Act / Assess
    expect(() => definePipeline({ ...config, ...change } as typeof config)).toThrow(message);
  });

  it('refuses a custom aggregation without merge', () => {
    // Act / Assess
    expect(() =>
      definePipeline({
        ...config,
        aggregations: {
          odd: {
            fn: 'custom',
            aggregate: { init: () => 0, add: (a: number) => a, result: (a: number) => a },
          },
        },
      } as unknown as typeof config),
    ).toThrow(PipelineDefinitionError);
  });
});
