import { kindOf, type NumericKind, numericKindOf } from '../aggregations.js';
import type { AggregateFunction } from '../types.js';
import { FusedAggregates } from './fused-aggregates.js';
import type { Accumulators } from './state.js';

/**
 * The named aggregations of one engine applied together to a window's accumulators, so the hot
 * path does one call per record and window instead of one object per aggregation. A window's
 * accumulators are `width` consecutive slots of an array starting at `at`: an array of their own
 * (`at` 0), or one of many windows laid end to end in one flat array (time panes).
 */
export interface Aggregates {
  readonly names: readonly string[];
  /**
   * What the state's accumulators hold, stored in the state (`aggregations`) and checked when an
   * engine takes a state: each name with its kind ("trips:count", "zones:distinct", "x:custom").
   */
  readonly signature: readonly string[];
  /** Slots one window's accumulators take. */
  readonly width: number;
  /** One window's initial accumulators, in an array of their own. */
  init(): Accumulators;
  /** Appends one window's initial accumulators to `accs`. */
  append(accs: Accumulators): void;
  /** Sets the window at `at` back to its initial accumulators. */
  reset(accs: Accumulators, at: number): void;
  /** Adds one record's value to the window at `at`, in place. */
  add(accs: Accumulators, at: number, value: unknown, timestamp: number): void;
  /** Merges the window at `fromAt` of `from` into the one at `intoAt` of `into`, in place. */
  merge(into: Accumulators, intoAt: number, from: Accumulators, fromAt: number): void;
  /** A copy of a window's own array that shares nothing updatable with `accs`. */
  copy(accs: Accumulators): Accumulators;
  /** The values of the window at `at`, by aggregation name. */
  result(accs: Accumulators, at: number): Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: accumulators are opaque JSON to the engine
type AnyAggregate = AggregateFunction<any, any, any>;

/**
 * Builds the engine's aggregates. When every aggregation is a numeric built-in (count, sum, min,
 * max, avg) they are fused into plain numbers, a few slots per aggregation: no object per
 * aggregation, no pointer to chase, unboxed doubles. That is most of the per-record cost once the
 * window is found. Otherwise each aggregation keeps its own accumulator in one slot.
 */
export function createAggregates(aggregations: Readonly<Record<string, AnyAggregate>>): Aggregates {
  const names = Object.keys(aggregations);
  const fns = Object.values(aggregations);
  const kinds = fns.map((fn) => numericKindOf(fn));
  if (kinds.every((k): k is NumericKind => k !== undefined)) return new FusedAggregates(names, kinds);
  return new GenericAggregates(names, fns);
}

class GenericAggregates implements Aggregates {
  readonly signature: readonly string[];

  get width(): number {
    return this.fns.length;
  }

  constructor(
    readonly names: readonly string[],
    private readonly fns: readonly AnyAggregate[],
  ) {
    this.signature = names.map((name, i) => `${name}:${kindOf(fns[i] as AnyAggregate)}`);
  }

  init(): Accumulators {
    const accs: Accumulators = [];
    this.append(accs);
    return accs;
  }

  append(accs: Accumulators): void {
    for (const fn of this.fns) accs.push(fn.init());
  }

  reset(accs: Accumulators, at: number): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) accs[at + i] = fns[i]?.init();
  }

  add(accs: Accumulators, at: number, value: unknown, timestamp: number): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) {
      const acc = accs[at + i];
      const next = fns[i]?.add(acc, value, timestamp);
      // Most accumulators are updated in place: skip the store (and its write barrier) then.
      if (next !== acc) accs[at + i] = next;
    }
  }

  merge(into: Accumulators, intoAt: number, from: Accumulators, fromAt: number): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) into[intoAt + i] = fns[i]?.merge(into[intoAt + i], from[fromAt + i]);
  }

  copy(accs: Accumulators): Accumulators {
    const fresh = this.init();
    this.merge(fresh, 0, accs, 0);
    return fresh;
  }

  result(accs: Accumulators, at: number): Record<string, unknown> {
    const fns = this.fns;
    const names = this.names;
    const values: Record<string, unknown> = {};
    for (let i = 0; i < fns.length; i++) values[names[i] ?? ''] = fns[i]?.result(accs[at + i]);
    return values;
  }
}
