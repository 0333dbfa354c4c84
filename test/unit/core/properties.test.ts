import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWindowEngine,
  decodeState,
  type EngineState,
  encodeState,
  type KeyedRecord,
  type LateRecord,
  type WindowResult,
  type WindowSpec,
} from '../../../functions/core/index.js';
import { disorderedRecords } from './arbitraries.js';
import { countAndSum } from './helpers.js';
import { expectedHopping, expectedSessions, expectedSliding } from './reference.js';

const records = disorderedRecords;

const summary = (results: readonly WindowResult[]) =>
  results.map((r) => `${r.key} ${r.windowStart} ${r.windowEnd} n=${r.values?.n} sum=${r.values?.sum}`).sort();

function finals(window: WindowSpec, input: readonly KeyedRecord[]) {
  // Both accumulator layouts (fused numeric built-ins, generic), alternately.
  const engine = createWindowEngine({ window, aggregations: countAndSum(input.length % 2 === 1) });
  const out = engine.process(undefined, input);
  return { late: out.late, results: [...out.results, ...engine.flush(out.state).results] };
}

describe('with grace >= the input’s disorder, nothing is late and finals match the definition', () => {
  const disorder = 6;

  it('tumbling: one final per key and window, counts summing to the input', () => {
    fc.assert(
      fc.property(records(disorder), fc.integer({ min: 1, max: 12 }), (input, size) => {
        const { late, results } = finals({ type: 'tumbling', sizeMs: size, graceMs: disorder }, input);
        expect(late).toEqual([]);
        expect(summary(results)).toEqual(expectedHopping(input, size, size));
        expect(results.reduce((n, r) => n + Number(r.values?.n), 0)).toBe(input.length);
      }),
    );
  });

  it('hopping', () => {
    fc.assert(
      fc.property(
        records(disorder),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        (input, a, k) => {
          const { late, results } = finals(
            { type: 'hopping', sizeMs: a * k, advanceMs: a, graceMs: disorder },
            input,
          );
          expect(late).toEqual([]);
          expect(summary(results)).toEqual(expectedHopping(input, a * k, a));
        },
      ),
    );
  });

  it('session', () => {
    fc.assert(
      fc.property(records(disorder), fc.integer({ min: 1, max: 8 }), (input, gap) => {
        const { late, results } = finals({ type: 'session', gapMs: gap, graceMs: disorder }, input);
        expect(late).toEqual([]);
        expect(summary(results)).toEqual(expectedSessions(input, gap));
      }),
    );
  });

  it('sliding', () => {
    fc.assert(
      fc.property(records(disorder), fc.integer({ min: 1, max: 10 }), (input, d) => {
        const { late, results } = finals({ type: 'sliding', timeDifferenceMs: d, graceMs: disorder }, input);
        expect(late).toEqual([]);
        expect(summary(results)).toEqual(expectedSliding(input, d));
      }),
      { numRuns: 300 },
    );
  });
});

const windowSpec: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.record({
    type: fc.constant('tumbling' as const),
    sizeMs: fc.integer({ min: 1, max: 10 }),
    graceMs: fc.nat(6),
  }),
  fc
    .record({
      advanceMs: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 4 }),
      graceMs: fc.nat(6),
    })
    .map(({ advanceMs, k, graceMs }) => ({
      type: 'hopping' as const,
      sizeMs: advanceMs * k,
      advanceMs,
      graceMs,
    })),
  fc.record({
    type: fc.constant('session' as const),
    gapMs: fc.integer({ min: 1, max: 8 }),
    graceMs: fc.nat(6),
  }),
  fc.record({
    type: fc.constant('sliding' as const),
    timeDifferenceMs: fc.integer({ min: 1, max: 10 }),
    graceMs: fc.nat(6),
  }),
);

describe('batching and checkpoints do not change the output', () => {
  it('splitting the input into batches, passing the state on or encoding and decoding it between them, gives the same emissions', () => {
    fc.assert(
      fc.property(
        records(12),
        windowSpec,
        fc.constantFrom('final' as const, 'updates' as const),
        fc.array(fc.nat(60), { maxLength: 5 }),
        fc.constantFrom('object' as const, 'json' as const, 'bytes' as const),
        fc.boolean(),
        (input, window, emit, cuts, format, generic) => {
          const engine = createWindowEngine({ window, aggregations: countAndSum(generic), emit });
          const whole = engine.process(undefined, input);
          const wholeFlush = engine.flush(whole.state).results;

          const bounds = [
            0,
            ...cuts.map((c) => Math.min(c, input.length)).sort((a, b) => a - b),
            input.length,
          ];
          let state: EngineState | undefined;
          const results: WindowResult[] = [];
          const late: LateRecord[] = [];
          for (let i = 1; i < bounds.length; i++) {
            const out = engine.process(state, input.slice(bounds[i - 1], bounds[i]));
            results.push(...out.results);
            late.push(...out.late);
            if (format === 'object') state = out.state;
            else if (format === 'json') state = decodeState(encodeState(out.state, 'json'));
            else state = decodeState(encodeState(out.state, 'bytes'));
          }
          expect(results).toEqual(whole.results);
          expect(late).toEqual(whole.late);
          expect(engine.flush(state).results).toEqual(wholeFlush);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('takeLate: records late for all their windows change nothing', () => {
  it('takes only records that process would just report late (all of them, but for sliding windows), with the same late records, and leaves the state as it was', () => {
    fc.assert(
      fc.property(
        records(12),
        windowSpec,
        fc.constantFrom('final' as const, 'updates' as const),
        fc.array(
          fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), ts: fc.nat(450), value: fc.integer() }),
          {
            maxLength: 20,
          },
        ),
        fc.boolean(),
        (input, window, emit, candidates, generic) => {
          const engine = createWindowEngine({ window, aggregations: countAndSum(generic), emit });
          const { state } = engine.process(undefined, input);
          const before = encodeState(state, 'json');

          const taken = engine.takeLate(state, candidates);
          expect(encodeState(state, 'json')).toBe(before);

          const rest = new Set(taken.rest);
          const expectedLate: LateRecord[] = [];
          for (const record of candidates) {
            // What processing the record alone would do to the state as it was.
            const alone = engine.process(decodeState(before), [record]);
            const changed = alone.results.length > 0 || encodeState(alone.state, 'json') !== before;
            if (!rest.has(record)) {
              expect(changed).toBe(false);
              expectedLate.push(...alone.late);
            } else if (window.type !== 'sliding') {
              // Exact for these. A sliding record whose right window is open may change nothing
              // yet (no later record falls in it): it waits, which is safe.
              expect(changed).toBe(true);
            }
          }
          expect(taken.rest).toEqual(candidates.filter((record) => rest.has(record)));
          expect(taken.late).toEqual(expectedLate);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('an empty state takes nothing', () => {
    const engine = createWindowEngine({
      window: { type: 'tumbling', sizeMs: 10, graceMs: 0 },
      aggregations: countAndSum(),
    });
    const records: KeyedRecord[] = [{ key: 'a', ts: 0, value: 1 }];
    expect(engine.takeLate(undefined, records)).toEqual({ late: [], rest: records });
  });
});
