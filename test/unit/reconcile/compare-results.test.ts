import { describe, expect, it } from 'vitest';
import {
  type ComparableWindow,
  compareResults,
  formatComparison,
} from '../../../local/reconcile/compare-results.js';

const w = (key: string, windowStart: number, values: Record<string, unknown>, partition?: string) => ({
  key,
  windowStart,
  windowEnd: windowStart + 300_000,
  values,
  ...(partition === undefined ? {} : { partition }),
});

describe('compareResults', () => {
  it('matches the same windows in any order, money sums within the tolerance', () => {
    // Prepare
    const expected = [
      w('161', 0, { trips: 2, revenue: 0.1 + 0.2 }),
      w('237', 0, { trips: 1, revenue: 12.5 }),
    ];
    const actual = [w('237', 0, { trips: 1, revenue: 12.5 }), w('161', 0, { trips: 2, revenue: 0.3 })];

    // Act
    const comparison = compareResults(expected, actual);

    // Assess
    expect(comparison).toMatchObject({ ok: true, matched: 2 });
    expect(formatComparison(comparison)).toBe('2 matched, 0 missing, 0 extra, 0 differing, 0 duplicated');
  });

  it('reports missing, extra, differing and duplicated windows readably', () => {
    // Prepare
    const expected = [w('161', 0, { trips: 2, revenue: 30 }), w('237', 0, { trips: 1, revenue: 12.5 })];
    const actual = [
      w('161', 0, { trips: 3, revenue: 30.01 }),
      w('48', 300_000, { trips: 1, revenue: 9 }),
      w('48', 300_000, { trips: 1, revenue: 9 }),
    ];

    // Act
    const comparison = compareResults(expected, actual);
    const text = formatComparison(comparison);

    // Assess
    expect(comparison.ok).toBe(false);
    expect(comparison.missing.map((x) => x.key)).toEqual(['237']);
    expect(comparison.extra.map((x) => x.key)).toEqual(['48']);
    expect(comparison.duplicates.map((x) => x.key)).toEqual(['48']);
    expect(comparison.differing[0]?.columns).toEqual([
      { column: 'trips', expected: 2, actual: 3 },
      { column: 'revenue', expected: 30, actual: 30.01 },
    ]);
    expect(text).toContain('0 matched, 1 missing, 1 extra, 1 differing, 1 duplicated');
    expect(text).toContain(
      'key="237" [1970-01-01T00:00:00.000Z, 1970-01-01T00:05:00.000Z] {"trips":1,"revenue":12.5}',
    );
    expect(text).toContain('trips: expected 2, got 3; revenue: expected 30, got 30.01');
  });

  it('accepts cents rounding when given a money tolerance, and tells partitions apart when asked', () => {
    // Prepare
    const expected = [w('161', 0, { revenue: 30.004 }, 'shard-0')];
    const actual = [w('161', 0, { revenue: 30 }, 'shard-1')];

    // Act
    const strict = compareResults(expected, actual);
    const cents = compareResults(expected, actual, { tolerance: { absolute: 0.005 } });
    const byPartition = compareResults(expected, actual, {
      tolerance: { absolute: 0.005 },
      matchPartition: true,
    });

    // Assess
    expect(strict.ok).toBe(false);
    expect(cents.ok).toBe(true);
    expect(byPartition.missing).toHaveLength(1);
    expect(byPartition.extra).toHaveLength(1);
  });

  it('tells a retraction (values null) from a result', () => {
    const retraction: ComparableWindow = { ...w('a', 0, {}), values: null };
    const comparison = compareResults<ComparableWindow>([w('a', 0, { n: 1 })], [retraction]);
    expect(comparison.differing[0]?.columns).toContainEqual({
      column: '(values)',
      expected: { n: 1 },
      actual: null,
    });
  });
});
