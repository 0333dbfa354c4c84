import type { AggregateFunction } from '../types.js';
import type { Accumulators } from './state.js';

/**
 * The named aggregations of one engine applied together to a window's accumulator array, so the
 * hot path does one loop per record and window instead of one object per aggregation.
 */
export class Aggregates {
  readonly names: readonly string[];
  // biome-ignore lint/suspicious/noExplicitAny: accumulators are opaque JSON to the engine
  private readonly fns: readonly AggregateFunction<any, any, any>[];

  // biome-ignore lint/suspicious/noExplicitAny: see above
  constructor(aggregations: Readonly<Record<string, AggregateFunction<any, any, any>>>) {
    this.names = Object.keys(aggregations);
    this.fns = Object.values(aggregations);
  }

  init(): Accumulators {
    const fns = this.fns;
    const accs = new Array<unknown>(fns.length);
    for (let i = 0; i < fns.length; i++) accs[i] = fns[i]?.init();
    return accs;
  }

  /** Adds one record's value to `accs` in place. */
  add(accs: Accumulators, value: unknown, timestamp: number): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) {
      const acc = accs[i];
      const next = fns[i]?.add(acc, value, timestamp);
      // Most accumulators are updated in place: skip the store (and its write barrier) then.
      if (next !== acc) accs[i] = next;
    }
  }

  /** Merges `from` into `into` in place. */
  merge(into: Accumulators, from: Accumulators): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) into[i] = fns[i]?.merge(into[i], from[i]);
  }

  /** A copy that shares nothing updatable with `accs`. */
  copy(accs: Accumulators): Accumulators {
    const fresh = this.init();
    this.merge(fresh, accs);
    return fresh;
  }

  /** The window's values, by aggregation name. */
  result(accs: Accumulators): Record<string, unknown> {
    const fns = this.fns;
    const names = this.names;
    const values: Record<string, unknown> = {};
    for (let i = 0; i < fns.length; i++) values[names[i] ?? ''] = fns[i]?.result(accs[i]);
    return values;
  }
}
