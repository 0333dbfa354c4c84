import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AggregateFunction,
  compileSpecAggregations,
  createWindowEngine,
  fieldPath,
  InvalidSpecError,
  parseReplaySpec,
} from '../../../functions/core/index.js';

/** Folds values (with their timestamps) through an aggregation, then JSON round-trips the accumulator. */
function fold<A>(fn: AggregateFunction<unknown, A, unknown>, items: readonly [unknown, number][]): unknown {
  let acc = fn.init();
  for (const [value, ts] of items) acc = fn.add(acc, value, ts);
  return fn.result(JSON.parse(JSON.stringify(acc)) as A);
}

describe('spec-file aggregations', () => {
  const fns = compileSpecAggregations({
    n: { fn: 'count' },
    sum: { fn: 'sum', field: 'x' },
    min: { fn: 'min', field: 'x' },
    max: { fn: 'max', field: 'x' },
    avg: { fn: 'avg', field: 'x' },
    first: { fn: 'first', field: 'name' },
    last: { fn: 'last', field: 'name' },
    distinct: { fn: 'distinct', field: 'name' },
  });
  const items: [unknown, number][] = [
    [{ x: 4, name: 'b' }, 20],
    [{ x: -1, name: 'a' }, 10],
    [{ name: 'c' }, 30],
    [{ x: 3, name: 1 }, 25],
  ];

  it.each([
    ['n', 4],
    ['sum', 6],
    ['min', -1],
    ['max', 4],
    ['avg', 2],
    ['first', 'a'],
    ['last', 'c'],
    ['distinct', 4],
  ])('%s', (name, expected) => {
    // Act / Assess: first/last go by event time, not arrival; missing numbers are skipped
    expect(fold(fns[name] as AggregateFunction<unknown, unknown, unknown>, items)).toBe(expected);
  });

  it('give null (not 0) for min, max and avg of no numbers', () => {
    // Act / Assess
    for (const name of ['min', 'max', 'avg']) {
      expect(fold(fns[name] as AggregateFunction<unknown, unknown, unknown>, [[{}, 1]])).toBeNull();
    }
  });

  it('merge like adding both sides (sessions merging)', () => {
    // Prepare
    for (const [name, fn] of Object.entries(fns)) {
      const left = items.slice(0, 2).reduce((a, [v, ts]) => fn.add(a, v, ts), fn.init());
      const right = items.slice(2).reduce((a, [v, ts]) => fn.add(a, v, ts), fn.init());

      // Act
      const merged = fn.result(fn.merge(left, right));

      // Assess
      expect([name, merged]).toEqual([name, fold(fn, items)]);
    }
  });

  it('tell "1" and 1 apart in distinct counts', () => {
    // Act / Assess
    const distinct = compileSpecAggregations({ d: { fn: 'distinct' } }).d as AggregateFunction<
      unknown,
      unknown,
      unknown
    >;
    expect(
      fold(distinct, [
        ['1', 0],
        [1, 0],
        [1, 0],
      ]),
    ).toBe(2);
  });

  it('read dotted paths, and the value itself without one', () => {
    // Act / Assess
    expect(fieldPath('a.b.c')({ a: { b: { c: 7 } } })).toBe(7);
    expect(fieldPath('a.b')({ a: null })).toBeUndefined();
    expect(fieldPath('toString')({})).toBeUndefined();
    expect(fieldPath(undefined)(5)).toBe(5);
  });
});

describe('replay spec', () => {
  it('accepts the documented format', () => {
    // Act
    const spec = parseReplaySpec({
      window: { type: 'sliding', timeDifferenceMs: 1000, graceMs: 0 },
      aggregations: { n: { fn: 'count' }, fare: { fn: 'avg', field: 'fare.total' } },
    });

    // Assess
    expect(spec.window.type).toBe('sliding');
  });

  it.each([
    [{ window: { type: 'tumbling', sizeMs: 0, graceMs: 0 }, aggregations: { n: { fn: 'count' } } }, /sizeMs/],
    [{ window: { type: 'weekly', sizeMs: 1, graceMs: 0 }, aggregations: { n: { fn: 'count' } } }, /type/],
    [{ window: { type: 'session', gapMs: 1, graceMs: -1 }, aggregations: { n: { fn: 'count' } } }, /graceMs/],
    [{ window: { type: 'tumbling', sizeMs: 1, graceMs: 0 }, aggregations: { n: { fn: 'median' } } }, /fn/],
    [
      {
        window: { type: 'tumbling', sizeMs: 1, graceMs: 0 },
        aggregations: { n: { fn: 'sum', field: 'a..b' } },
      },
      /dotted/,
    ],
    [
      { window: { type: 'tumbling', sizeMs: 1.5, graceMs: 0 }, aggregations: { n: { fn: 'count' } } },
      /sizeMs/,
    ],
  ])('refuses %j with InvalidSpecError naming the problem', (input, problem) => {
    // Act / Assess
    expect(() => parseReplaySpec(input)).toThrow(InvalidSpecError);
    expect(() => parseReplaySpec(input)).toThrow(problem);
  });
});

describe('fused numeric aggregations', () => {
  it('give what each built-in gives on its own (values missing, negative, fractional)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b'),
            ts: fc.nat(40),
            value: fc.option(
              fc.record({
                x: fc.oneof(fc.integer({ min: -9, max: 9 }), fc.double({ min: -5, max: 5, noNaN: true })),
              }),
              { nil: undefined },
            ),
          }),
          { maxLength: 40, size: 'max' },
        ),
        (records) => {
          // Prepare: the same numeric built-ins, fused alone and kept apart next to a `last`
          const numeric = {
            n: { fn: 'count' },
            sum: { fn: 'sum', field: 'x' },
            min: { fn: 'min', field: 'x' },
            max: { fn: 'max', field: 'x' },
            avg: { fn: 'avg', field: 'x' },
          } as const;
          const window = { type: 'session' as const, gapMs: 5, graceMs: 100 };
          const fused = createWindowEngine({ window, aggregations: compileSpecAggregations(numeric) });
          const generic = createWindowEngine({
            window,
            aggregations: compileSpecAggregations({ ...numeric, last: { fn: 'last' } }),
          });

          // Act
          const a = fused.flush(fused.process(undefined, records).state).results;
          const b = generic.flush(generic.process(undefined, records).state).results;

          // Assess
          const strip = (values: Readonly<Record<string, unknown>> | null) => {
            const { last: _, ...rest } = values ?? {};
            return rest;
          };
          expect(a.map((r) => strip(r.values))).toEqual(b.map((r) => strip(r.values)));
        },
      ),
    );
  });
});
