import fc from 'fast-check';
import type { KeyedRecord } from '../../../functions/core/index.js';

/**
 * Records with arrival disorder at most `maxDisorder`: arrival i has a nominal time that only
 * grows, and an event time up to `maxDisorder` before it. So streamTime - ts <= maxDisorder, and
 * with a grace of at least `maxDisorder` nothing is late.
 */
export const disorderedRecords = (maxDisorder: number, keys: readonly string[] = ['a', 'b', 'c']) =>
  fc
    .array(
      fc.record({
        key: fc.constantFrom(...keys),
        step: fc.integer({ min: 0, max: 7 }),
        lag: fc.integer({ min: 0, max: maxDisorder }),
        value: fc.integer({ min: -5, max: 5 }),
      }),
      { maxLength: 60, size: 'max' },
    )
    .map((items) => {
      let nominal = 0;
      return items.map(({ key, step, lag, value }): KeyedRecord => {
        nominal += step;
        return { key, ts: Math.max(0, nominal - lag), value };
      });
    });
