import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdPositions } from '../../../functions/core/engine/id-positions.js';

describe('IdPositions', () => {
  it('finds what was added and nothing else, through growth and probe collisions, like a Map', () => {
    fc.assert(
      fc.property(
        fc.nat(300),
        // Ids spread wide (collisions after masking) and dense (runs of neighbours).
        fc.array(fc.oneof(fc.nat(70_000), fc.nat(40)), { maxLength: 600, size: 'max' }),
        fc.array(fc.nat(70_000), { maxLength: 50, size: 'max' }),
        (expected, ids, probes) => {
          // Prepare
          const positions = new IdPositions(expected);
          const model = new Map<number, number>();

          // Act
          for (const id of ids) {
            if (model.has(id)) continue;
            positions.add(id, model.size);
            model.set(id, model.size);
          }

          // Assess
          for (const [id, position] of model) expect(positions.get(id)).toBe(position);
          for (const id of probes) expect(positions.get(id)).toBe(model.get(id) ?? -1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns -1 when empty', () => {
    expect(new IdPositions().get(0)).toBe(-1);
    expect(new IdPositions(1000).get(12_345)).toBe(-1);
  });
});
