import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWindowEngine,
  type DistinctValues,
  decodeState,
  distinctAggregate,
  encodeState,
  type KeyedRecord,
} from '../../../functions/core/index.js';

const distinct = distinctAggregate((value: unknown) => value);

/** The count a distinct aggregate must give: numbers and strings, each type on its own, -0 as 0. */
function expectedCount(values: readonly unknown[]): number {
  const seen = new Set<string>();
  for (const v of values) {
    if (typeof v === 'number') seen.add(`number:${Object.is(v, -0) ? 0 : v}`);
    else if (typeof v === 'string') seen.add(`string:${v}`);
  }
  return seen.size;
}

function addAll(acc: DistinctValues, values: readonly unknown[]): DistinctValues {
  let current = acc;
  for (const v of values) current = distinct.add(current, v, 0);
  return current;
}

const roundTrip = (acc: DistinctValues): DistinctValues => JSON.parse(JSON.stringify(acc)) as DistinctValues;

// Few distinct values, so lists cross the hash-index threshold with repeats on both sides of it.
const anyValue = fc.oneof(
  fc.integer({ min: -40, max: 40 }),
  fc.constantFrom(0, -0, 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.integer({ min: -40, max: 40 }).map(String),
  fc.constantFrom('NaN', 'n:NaN', 's:1', 'Infinity', ''),
  fc.constantFrom(null, undefined, true, { a: 1 }),
);

describe('distinctAggregate', () => {
  it('counts each number and string once, whatever the split, merge order and JSON round trips', () => {
    fc.assert(
      fc.property(fc.array(anyValue, { maxLength: 200, size: 'max' }), fc.nat(), (values, cut) => {
        // Prepare
        const at = values.length === 0 ? 0 : cut % values.length;

        // Act: two halves added on their own, checkpointed, then merged both ways
        const left = roundTrip(addAll(distinct.init(), values.slice(0, at)));
        const right = roundTrip(addAll(distinct.init(), values.slice(at)));
        const leftFirst = distinct.result(roundTrip(distinct.merge(roundTrip(left), roundTrip(right))));
        const rightFirst = distinct.result(distinct.merge(right, left));

        // Assess
        expect(leftFirst).toBe(expectedCount(values));
        expect(rightFirst).toBe(expectedCount(values));
      }),
    );
  });

  it('keeps finite numbers as numbers and tags strings and non-finite numbers in a checkpoint', () => {
    // Act
    const acc = addAll(distinct.init(), [90, 90, '90', Number.NaN, 'a', 7.5]);

    // Assess
    expect(JSON.stringify(acc)).toBe('[90,"s:90","n:NaN","s:a",7.5]');
  });

  it('continues from the object layout of checkpoints written before the list', () => {
    // Prepare: {"n:90":1} was the number 90, {"s:90":1} the string "90"
    const legacy = { 'n:90': 1, 's:90': 1, 'n:NaN': 1 } as unknown as DistinctValues;

    // Act
    const added = distinct.add(legacy, 90, 0);
    const merged = distinct.merge(
      { 'n:1': 1 } as unknown as DistinctValues,
      { 'n:1': 1, 's:x': 1 } as unknown as DistinctValues,
    );

    // Assess
    expect(distinct.result(legacy)).toBe(3);
    expect(added).toEqual([90, 's:90', 'n:NaN']);
    expect(distinct.result(distinct.add(added, 'y', 0))).toBe(4);
    expect(merged).toEqual([1, 's:x']);
  });

  it('lets a window engine continue from a checkpoint holding the object layout', () => {
    // Prepare: one tumbling window with 20 distinct pages, checkpointed with the object layout
    const engine = createWindowEngine({
      window: { type: 'tumbling', sizeMs: 60_000, graceMs: 0 },
      aggregations: { pages: distinctAggregate((v: { page: string }) => v.page) },
    });
    const views = (from: number, to: number): KeyedRecord<{ page: string }>[] =>
      Array.from({ length: to - from }, (_, i) => ({
        key: 'u1',
        ts: 1000 + from + i,
        value: { page: `p${from + i}` },
      }));
    const { state } = engine.process(undefined, views(0, 20));
    const layout = JSON.parse(encodeState(state, 'json')) as { panes: { accumulators: unknown[] }[] };
    for (const pane of layout.panes) {
      pane.accumulators = pane.accumulators.map((list) =>
        Object.fromEntries((list as string[]).map((tagged) => [tagged, 1])),
      );
    }
    const legacy = decodeState(JSON.stringify(layout));

    // Act: 10 pages seen before and 10 new ones
    const next = engine.process(legacy, views(10, 30)).state;
    const { results } = engine.flush(next);

    // Assess
    expect(results.map((r) => r.values)).toEqual([{ pages: 30 }]);
  });
});
