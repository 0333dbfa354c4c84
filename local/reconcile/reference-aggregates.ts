import type { AggregationSpec } from '../../functions/core/pipeline.js';

/** A record the reference model kept in a window: its value, event time and arrival position. */
export interface HeldRecord<E> {
  readonly value: E;
  readonly ts: number;
  /** Position in the input (arrival order), for ties in first/last. */
  readonly seq: number;
}

// Deliberately naive: every column is recomputed from the full list of records in the window, so
// nothing here shares logic (incremental accumulators, merges) with the engine it checks.

const numbers = (values: readonly unknown[]): number[] =>
  values.filter((v): v is number => typeof v === 'number');

/** Computes one column over a window's records (in arrival order), by definition. */
export function computeColumn<E>(spec: AggregationSpec<E>, records: readonly HeldRecord<E>[]): unknown {
  switch (spec.fn) {
    case 'count':
      return records.length;
    case 'sum':
      return numbers(records.map((r) => spec.field(r.value))).reduce((a, b) => a + b, 0);
    case 'min':
    case 'max': {
      const found = numbers(records.map((r) => spec.field(r.value)));
      if (found.length === 0) return null;
      return spec.fn === 'min' ? Math.min(...found) : Math.max(...found);
    }
    case 'avg': {
      const found = numbers(records.map((r) => spec.field(r.value)));
      return found.length === 0 ? null : found.reduce((a, b) => a + b, 0) / found.length;
    }
    case 'first':
    case 'last': {
      // Earliest event time, ties to the first arrival; latest event time, ties to the last arrival.
      const sorted = [...records].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
      const chosen = spec.fn === 'first' ? sorted[0] : sorted[sorted.length - 1];
      return chosen === undefined ? null : (spec.field(chosen.value) ?? null);
    }
    case 'distinct': {
      const seen = new Set<string>();
      for (const r of records) {
        const v: unknown = spec.field(r.value);
        if (typeof v === 'number' || typeof v === 'string') seen.add(`${typeof v}:${v}`);
      }
      return seen.size;
    }
    case 'custom': {
      let acc: unknown = spec.aggregate.init();
      for (const r of records) acc = spec.aggregate.add(acc, r.value, r.ts);
      return spec.aggregate.result(acc);
    }
  }
}

/** Every column of a window. */
export function computeValues<E>(
  aggregations: Readonly<Record<string, AggregationSpec<E>>>,
  records: readonly HeldRecord<E>[],
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(aggregations)) values[name] = computeColumn(spec, records);
  return values;
}
