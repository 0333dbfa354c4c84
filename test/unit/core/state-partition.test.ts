import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWindowEngine,
  decodeState,
  encodeState,
  mergeStates,
  partitionState,
  StateCorruptError,
  type WindowResult,
  type WindowSpec,
} from '../../../functions/core/index.js';
import { disorderedRecords } from './arbitraries.js';
import { countAndSum } from './helpers.js';

const DISORDER = 6;

/** Records whose event time is at most DISORDER before the largest seen so far: nothing is late. */
const records = disorderedRecords(DISORDER, ['a', 'b', 'c', 'd']);

const windows: Record<string, WindowSpec> = {
  tumbling: { type: 'tumbling', sizeMs: 5, graceMs: DISORDER },
  hopping: { type: 'hopping', sizeMs: 6, advanceMs: 2, graceMs: DISORDER },
  session: { type: 'session', gapMs: 4, graceMs: DISORDER },
  sliding: { type: 'sliding', timeDifferenceMs: 4, graceMs: DISORDER },
};

const summary = (results: readonly WindowResult[]) =>
  results.map((r) => `${r.key} ${r.windowStart} ${r.windowEnd} ${JSON.stringify(r.values)}`).sort();

describe.each(Object.entries(windows))('%s state split by key', (_, window) => {
  it('continues on two partitions (the keys of a shard going to its two children) with the finals of one', () => {
    fc.assert(
      fc.property(
        records,
        fc.nat(60),
        fc.subarray(['a', 'b', 'c', 'd']),
        fc.boolean(),
        (input, at, moved, generic) => {
          // Prepare: one engine over everything, and one over a prefix whose state is then split.
          const engine = createWindowEngine({ window, aggregations: countAndSum(generic) });
          const whole = engine.process(undefined, input);
          const expected = [...whole.results, ...engine.flush(whole.state).results];
          const cut = Math.min(at, input.length);
          const before = engine.process(undefined, input.slice(0, cut));
          const checkpoint = decodeState(encodeState(before.state, 'json'));
          const belongs = (key: string) => moved.includes(key);

          // Act
          const { taken, kept } = partitionState(checkpoint, belongs);
          const rest = input.slice(cut);
          const onTaken = engine.process(
            taken,
            rest.filter((r) => belongs(r.key)),
          );
          const onKept = engine.process(
            kept,
            rest.filter((r) => !belongs(r.key)),
          );
          const merged = engine.process(
            mergeStates(partitionState(checkpoint, belongs).taken, partitionState(checkpoint, belongs).kept),
            rest,
          );

          // Assess
          expect([...onTaken.late, ...onKept.late, ...merged.late]).toEqual([]);
          const split = [
            ...before.results,
            ...onTaken.results,
            ...engine.flush(onTaken.state).results,
            ...onKept.results,
            ...engine.flush(onKept.state).results,
          ];
          expect(summary(split)).toEqual(summary(expected));
          const rejoined = [...before.results, ...merged.results, ...engine.flush(merged.state).results];
          expect(summary(rejoined)).toEqual(summary(expected));
          // The checkpoint split from is left as it was.
          expect(encodeState(checkpoint, 'json')).toBe(encodeState(before.state, 'json'));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('mergeStates', () => {
  /** Tumbling states of two shards: key a at stream time 10, key b at 30. */
  const twoTumblingStates = () => {
    const engine = createWindowEngine({
      window: windows.tumbling as WindowSpec,
      aggregations: countAndSum(),
    });
    const early = engine.process(undefined, [{ key: 'a', ts: 10, value: 1 }]).state;
    const late = engine.process(undefined, [{ key: 'b', ts: 30, value: 1 }]).state;
    return { engine, early, late };
  };

  it('refuses states at different stream times, of other windows, or with a key in both', () => {
    // Prepare
    const { early, late } = twoTumblingStates();
    const other = createWindowEngine({ window: windows.session as WindowSpec, aggregations: countAndSum() });

    // Act + Assess: a merge that moved `early` to 30 would drop its window [10, 15) unemitted.
    expect(() => mergeStates(early, late)).toThrow(/stream times 10 and 30: advance the earlier one first/);
    expect(() => mergeStates(early, other.initialState())).toThrow(StateCorruptError);
    expect(() => mergeStates(early, early)).toThrow(/both hold key "a"/);
  });

  it('merges once the earlier state is advanced, and the windows that closes are results', () => {
    // Prepare
    const { engine, early, late } = twoTumblingStates();

    // Act
    const advanced = engine.advanceTo(early, 30);
    const merged = mergeStates(advanced.state, late);

    // Assess
    expect(advanced.results.map((r) => [r.key, r.windowStart])).toEqual([['a', 10]]);
    expect(merged.streamTime).toBe(30);
    expect(engine.flush(merged).results.map((r) => [r.key, r.windowStart])).toEqual([['b', 30]]);
  });
});
