import type { AggregateFunction } from './types.js';

/** Reads the number (or other value) an aggregation works on out of a record's value. */
export type FieldReader<V, T> = (value: V) => T;

/** What a numeric built-in computes, so an engine may fuse several into one flat accumulator array. */
export interface NumericKind {
  readonly kind: 'count' | 'sum' | 'min' | 'max' | 'avg';
  // biome-ignore lint/suspicious/noExplicitAny: the reader of whatever record the aggregation was built for
  readonly field?: FieldReader<any, unknown>;
}

const numericKinds = new WeakMap<object, NumericKind>();
const otherKinds = new WeakMap<object, 'first' | 'last' | 'distinct'>();

/** The built-in behind `fn` ("count", ..., "first", "last", "distinct"), or "custom": part of a state's signature. */
export function kindOf(fn: object): string {
  return numericKinds.get(fn)?.kind ?? otherKinds.get(fn) ?? 'custom';
}

/** Marks a built-in that is not numeric, for {@link kindOf}. */
export function tagKind<F extends object>(fn: F, kind: 'first' | 'last' | 'distinct'): F {
  otherKinds.set(fn, kind);
  return fn;
}

/** The numeric built-in behind `fn`, if it is one (see engine/aggregates.ts). */
export function numericKindOf(fn: object): NumericKind | undefined {
  return numericKinds.get(fn);
}

function numeric<F extends object>(fn: F, kind: NumericKind): F {
  numericKinds.set(fn, kind);
  return fn;
}

// Built-ins keep plain JSON accumulators (numbers, small arrays, objects of flags) so engine state
// stays serializable. Non-numbers (missing fields, null) are skipped by numeric aggregations,
// as SQL does with NULL.

/** Number of records. */
export function countAggregate(): AggregateFunction<unknown, number, number> {
  return numeric(
    {
      init: () => 0,
      add: (count) => count + 1,
      merge: (left, right) => left + right,
      result: (count) => count,
    },
    { kind: 'count' },
  );
}

// Numeric accumulators are one- or two-element arrays updated in place: V8 keeps them as unboxed
// doubles, where a bare float stored back into a window's accumulator array would allocate a
// heap number per record (and a write barrier into the old generation).

/** Sum of the numbers read by `field` (0 when none). Accumulator: `[sum]`. */
export function sumAggregate<V>(field: FieldReader<V, unknown>): AggregateFunction<V, [number], number> {
  return numeric<AggregateFunction<V, [number], number>>(
    {
      init: () => [0],
      add: (acc, value) => {
        const n = field(value);
        if (typeof n === 'number') acc[0] += n;
        return acc;
      },
      merge: (left, right) => {
        left[0] += right[0];
        return left;
      },
      result: (acc) => acc[0],
    },
    { kind: 'sum', field },
  );
}

/** `[]` before the first number, then `[extreme]`. */
type Extreme = number[];

function extremeAggregate<V>(
  field: FieldReader<V, unknown>,
  better: (candidate: number, current: number) => boolean,
): AggregateFunction<V, Extreme, number | null> {
  const offer = (acc: Extreme, n: number): Extreme => {
    const current = acc[0];
    if (current === undefined) acc.push(n);
    else if (better(n, current)) acc[0] = n;
    return acc;
  };
  return {
    init: () => [],
    add: (acc, value) => {
      const n = field(value);
      return typeof n === 'number' ? offer(acc, n) : acc;
    },
    merge: (left, right) => (right[0] === undefined ? left : offer(left, right[0])),
    result: (acc) => acc[0] ?? null,
  };
}

/** Smallest number read by `field` (null when none). */
export function minAggregate<V>(
  field: FieldReader<V, unknown>,
): AggregateFunction<V, Extreme, number | null> {
  return numeric(
    extremeAggregate(field, (candidate, current) => candidate < current),
    { kind: 'min', field },
  );
}

/** Largest number read by `field` (null when none). */
export function maxAggregate<V>(
  field: FieldReader<V, unknown>,
): AggregateFunction<V, Extreme, number | null> {
  return numeric(
    extremeAggregate(field, (candidate, current) => candidate > current),
    { kind: 'max', field },
  );
}

/** Mean of the numbers read by `field` (null when none). Accumulator: `[sum, count]`. */
export function avgAggregate<V>(
  field: FieldReader<V, unknown>,
): AggregateFunction<V, [number, number], number | null> {
  return numeric<AggregateFunction<V, [number, number], number | null>>(
    {
      init: () => [0, 0],
      add: (acc, value) => {
        const n = field(value);
        if (typeof n === 'number') {
          acc[0] += n;
          acc[1] += 1;
        }
        return acc;
      },
      merge: (left, right) => {
        left[0] += right[0];
        left[1] += right[1];
        return left;
      },
      result: (acc) => (acc[1] === 0 ? null : acc[0] / acc[1]),
    },
    { kind: 'avg', field },
  );
}

/** `[eventTime, value]` of the chosen record, or null before the first one. */
type Pick = [number, unknown] | null;

function pickAggregate<V>(
  field: FieldReader<V, unknown>,
  replaces: (candidateTs: number, currentTs: number) => boolean,
): AggregateFunction<V, Pick, unknown> {
  const choose = (current: Pick, candidate: Pick): Pick =>
    candidate === null || (current !== null && !replaces(candidate[0], current[0])) ? current : candidate;
  return {
    init: () => null,
    add: (current, value, timestamp) => choose(current, [timestamp, field(value) ?? null]),
    merge: (left, right) => choose(left, right === null ? null : [right[0], right[1]]),
    result: (current) => (current === null ? null : current[1]),
  };
}

/**
 * Value of the record with the earliest event time (ties: the one that arrived first), so the
 * result does not depend on arrival order.
 */
export function firstAggregate<V>(field: FieldReader<V, unknown>): AggregateFunction<V, Pick, unknown> {
  return tagKind(
    pickAggregate(field, (candidateTs, currentTs) => candidateTs < currentTs),
    'first',
  );
}

/** Value of the record with the latest event time (ties: the one that arrived last). */
export function lastAggregate<V>(field: FieldReader<V, unknown>): AggregateFunction<V, Pick, unknown> {
  return tagKind(
    pickAggregate(field, (candidateTs, currentTs) => candidateTs >= currentTs),
    'last',
  );
}
