import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../../functions/core/engine/key-table.js';

// The key table orders a closing window's keys. The engine's property tests use a handful of keys,
// which only ever take the branch that walks every rank; these reach the one that sorts a few ids
// among many, and the merge of newly added keys into an existing ranking.

/** The ids of `subset` in ascending key order, as inKeyOrder must return them. */
function expectedOrder(table: KeyTable, subset: readonly number[]): number[] {
  const compare = (a: number, b: number) => {
    const x = table.keyOf(a);
    const y = table.keyOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...subset].sort(compare);
}

function orderOf(table: KeyTable, subset: readonly number[], mark: number): number[] {
  const marks = new Int32Array(table.size);
  for (const id of subset) marks[id] = mark;
  return Array.from(table.inKeyOrder(subset, marks, mark));
}

// UTF-16 order, not code point order: a surrogate pair sorts below U+FFFF.
const keyArbitrary = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  fc.constantFrom('', 'a', 'aa', 'ab', 'Z00001', 'Z00010', '\uffff', '\ud83d\ude00', 'é'),
);

describe('KeyTable', () => {
  it('gives each key one id, in order of first sight', () => {
    // Prepare
    const table = new KeyTable();

    // Act
    const ids = ['b', 'a', 'b', 'c', 'a'].map((k) => table.idOf(k));

    // Assess
    expect(ids).toEqual([0, 1, 0, 2, 1]);
    expect(table.size).toBe(3);
    expect(table.keyOf(2)).toBe('c');
  });

  it('puts ids in key order, for few ids among many keys and for most of them, as keys keep arriving', () => {
    fc.assert(
      fc.property(
        // Rounds of new keys, each followed by a query on a subset of every id so far.
        fc.array(
          fc.record({
            keys: fc.array(keyArbitrary, { maxLength: 120, size: 'max' }),
            pick: fc.array(fc.nat(), { maxLength: 60, size: 'max' }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (rounds) => {
          const table = new KeyTable();
          let mark = 0;
          for (const { keys, pick } of rounds) {
            for (const key of keys) table.idOf(key);
            if (table.size === 0) continue;
            // A few distinct ids (sorted by rank) and every id (picked out walking the ranks).
            const few = [...new Set(pick.map((p) => p % table.size))];
            const all = Array.from({ length: table.size }, (_, id) => id);
            for (const subset of [few, all]) {
              mark++;
              expect(orderOf(table, subset, mark)).toEqual(expectedOrder(table, subset));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sorts 3 of 5,000 keys by rank, the branch a window of few keys takes', () => {
    // Prepare: descending ids, so id order and key order disagree.
    const table = new KeyTable();
    for (let i = 5000; i > 0; i--) table.idOf(`k${String(i).padStart(5, '0')}`);
    const subset = [table.idOf('k04000'), table.idOf('k00007'), table.idOf('k02500')];

    // Act
    const ordered = orderOf(table, subset, 1).map((id) => table.keyOf(id));

    // Assess
    expect(ordered).toEqual(['k00007', 'k02500', 'k04000']);
  });
});
