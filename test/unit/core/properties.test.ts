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
  /** A late record without the fields that depend on when it is reported. */
  const missed = ({ key, ts, windowStart, windowEnd }: LateRecord) => ({ key, ts, windowStart, windowEnd });

  it('processing the list in order gives what processing the rest gives, and the taken records late', () => {
    fc.assert(
      fc.property(
        records(12),
        windowSpec,
        fc.constantFrom('final' as const, 'updates' as const),
        // Times around the stream time, where lateness is decided.
        fc.array(
          fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), offset: fc.integer({ min: -25, max: 3 }) }),
          { maxLength: 20, size: 'max' },
        ),
        fc.boolean(),
        (input, window, emit, drawn, generic) => {
          const engine = createWindowEngine({ window, aggregations: countAndSum(generic), emit });
          const { state } = engine.process(undefined, input);
          const before = encodeState(state, 'json');
          // Values tell the records apart.
          const candidates = drawn.map(({ key, offset }, i) => ({
            key,
            ts: Math.max(0, (state.streamTime ?? 0) + offset),
            value: 1000 + i,
          }));

          const taken = engine.takeLate(state, candidates);

          expect(encodeState(state, 'json')).toBe(before);
          const rest = new Set(taken.rest);
          expect(taken.rest).toEqual(candidates.filter((record) => rest.has(record)));
          const all = engine.process(decodeState(before), candidates);
          const restOnly = engine.process(decodeState(before), taken.rest);
          expect(restOnly.results).toEqual(all.results);
          expect(encodeState(restOnly.state, 'json')).toBe(encodeState(all.state, 'json'));
          const restValues = new Set(taken.rest.map((record) => record.value));
          const lateOfTaken = all.late.filter((late) => !restValues.has(late.value));
          expect(taken.late.map(missed)).toEqual(lateOfTaken.map(missed));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('takes every record that processing alone would only report late, but for sliding windows', () => {
    fc.assert(
      fc.property(
        records(12),
        windowSpec.filter((window) => window.type !== 'sliding'),
        fc.array(
          fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), ts: fc.nat(450), value: fc.integer() }),
          {
            maxLength: 20,
          },
        ),
        (input, window, candidates) => {
          const engine = createWindowEngine({ window, aggregations: countAndSum() });
          const { state } = engine.process(undefined, input);
          const before = encodeState(state, 'json');
          // One record per key: a key's records after one that stays stay too.
          const firsts = candidates.filter((r, i) => candidates.findIndex((o) => o.key === r.key) === i);

          const rest = new Set(engine.takeLate(state, firsts).rest);

          for (const record of firsts) {
            const alone = engine.process(decodeState(before), [record]);
            const changed = alone.results.length > 0 || encodeState(alone.state, 'json') !== before;
            expect(rest.has(record)).toBe(changed);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('session: a record late on its own stays while a record of its key before it in the list stays', () => {
    // Prepare: stream time 100, gap 10: a record at 85 alone is late; one at 95 opens a session
    // that reaches it
    const engine = createWindowEngine({
      window: { type: 'session', gapMs: 10, graceMs: 0 },
      aggregations: countAndSum(),
    });
    const { state } = engine.process(undefined, [{ key: 'z', ts: 100, value: 1 }]);
    const list: KeyedRecord[] = [
      { key: 'a', ts: 95, value: 1 },
      { key: 'a', ts: 85, value: 1 },
    ];

    // Act
    const taken = engine.takeLate(state, list);

    // Assess
    expect(taken).toEqual({ late: [], rest: list });
    expect(engine.process(state, list).late).toEqual([]);
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
