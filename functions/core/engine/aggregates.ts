import { type NumericKind, numericKindOf } from '../aggregations.js';
import type { AggregateFunction } from '../types.js';
import type { Accumulators } from './state.js';

/**
 * The named aggregations of one engine applied together to a window's accumulator array, so the
 * hot path does one call per record and window instead of one object per aggregation.
 */
export interface Aggregates {
  readonly names: readonly string[];
  /**
   * What the state's accumulators hold, stored in the state (`aggregations`) and checked when an
   * engine takes a state: the names, with the kind for fused numeric built-ins ("trips:count").
   */
  readonly signature: readonly string[];
  init(): Accumulators;
  /** Adds one record's value to `accs` in place. */
  add(accs: Accumulators, value: unknown, timestamp: number): void;
  /** Merges `from` into `into` in place. */
  merge(into: Accumulators, from: Accumulators): void;
  /** A copy that shares nothing updatable with `accs`. */
  copy(accs: Accumulators): Accumulators;
  /** The window's values, by aggregation name. */
  result(accs: Accumulators): Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: accumulators are opaque JSON to the engine
type AnyAggregate = AggregateFunction<any, any, any>;

/**
 * Builds the engine's aggregates. When every aggregation is a numeric built-in (count, sum, min,
 * max, avg) they are fused into one flat array of numbers per window: one object instead of one
 * per aggregation, no pointer to chase per aggregation, unboxed doubles. That is most of the
 * per-record cost once the window is found. Otherwise each keeps its own accumulator.
 */
export function createAggregates(aggregations: Readonly<Record<string, AnyAggregate>>): Aggregates {
  const names = Object.keys(aggregations);
  const fns = Object.values(aggregations);
  const kinds = fns.map((fn) => numericKindOf(fn));
  if (kinds.every((k): k is NumericKind => k !== undefined)) return new FusedAggregates(names, kinds);
  return new GenericAggregates(names, fns);
}

class GenericAggregates implements Aggregates {
  get signature(): readonly string[] {
    return this.names;
  }

  constructor(
    readonly names: readonly string[],
    private readonly fns: readonly AnyAggregate[],
  ) {}

  init(): Accumulators {
    const fns = this.fns;
    const accs = new Array<unknown>(fns.length);
    for (let i = 0; i < fns.length; i++) accs[i] = fns[i]?.init();
    return accs;
  }

  add(accs: Accumulators, value: unknown, timestamp: number): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) {
      const acc = accs[i];
      const next = fns[i]?.add(acc, value, timestamp);
      // Most accumulators are updated in place: skip the store (and its write barrier) then.
      if (next !== acc) accs[i] = next;
    }
  }

  merge(into: Accumulators, from: Accumulators): void {
    const fns = this.fns;
    for (let i = 0; i < fns.length; i++) into[i] = fns[i]?.merge(into[i], from[i]);
  }

  copy(accs: Accumulators): Accumulators {
    const fresh = this.init();
    this.merge(fresh, accs);
    return fresh;
  }

  result(accs: Accumulators): Record<string, unknown> {
    const fns = this.fns;
    const names = this.names;
    const values: Record<string, unknown> = {};
    for (let i = 0; i < fns.length; i++) values[names[i] ?? ''] = fns[i]?.result(accs[i]);
    return values;
  }
}

const COUNT = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;
const AVG = 4;
const CODES = { count: COUNT, sum: SUM, min: MIN, max: MAX, avg: AVG } as const;

/**
 * Slots per aggregation: count `[n]`, sum `[sum]`, avg `[sum, n]`, min/max `[value, seen 0|1]`
 * (no null or Infinity, which JSON cannot keep apart).
 */
class FusedAggregates implements Aggregates {
  private readonly codes: readonly number[];
  private readonly offsets: readonly number[];
  private readonly fields: readonly ((value: unknown) => unknown)[];
  private readonly width: number;
  readonly signature: readonly string[];

  constructor(
    readonly names: readonly string[],
    kinds: readonly NumericKind[],
  ) {
    this.signature = names.map((name, i) => `${name}:${kinds[i]?.kind}`);
    this.codes = kinds.map((k) => CODES[k.kind]);
    let width = 0;
    this.offsets = this.codes.map((code) => {
      const at = width;
      width += code === COUNT || code === SUM ? 1 : 2;
      return at;
    });
    this.width = width;
    this.fields = kinds.map((k) => k.field ?? (() => undefined));
  }

  init(): Accumulators {
    const accs: number[] = [];
    for (let i = 0; i < this.width; i++) accs.push(0);
    return accs;
  }

  add(raw: Accumulators, value: unknown): void {
    const accs = raw as number[];
    const { codes, offsets, fields } = this;
    for (let i = 0; i < codes.length; i++) {
      const at = offsets[i] as number;
      const code = codes[i];
      if (code === COUNT) {
        accs[at] = (accs[at] as number) + 1;
        continue;
      }
      const n = (fields[i] as (value: unknown) => unknown)(value);
      if (typeof n !== 'number') continue;
      if (code === SUM) {
        accs[at] = (accs[at] as number) + n;
      } else if (code === AVG) {
        accs[at] = (accs[at] as number) + n;
        accs[at + 1] = (accs[at + 1] as number) + 1;
      } else if (accs[at + 1] === 0 || (code === MIN ? n < (accs[at] as number) : n > (accs[at] as number))) {
        accs[at] = n;
        accs[at + 1] = 1;
      }
    }
  }

  merge(rawInto: Accumulators, rawFrom: Accumulators): void {
    const into = rawInto as number[];
    const from = rawFrom as number[];
    const { codes, offsets } = this;
    for (let i = 0; i < codes.length; i++) {
      const at = offsets[i] as number;
      const code = codes[i];
      const a = into[at] as number;
      const b = from[at] as number;
      if (code === COUNT || code === SUM) {
        into[at] = a + b;
      } else if (code === AVG) {
        into[at] = a + b;
        into[at + 1] = (into[at + 1] as number) + (from[at + 1] as number);
      } else if (from[at + 1] === 1 && (into[at + 1] === 0 || (code === MIN ? b < a : b > a))) {
        into[at] = b;
        into[at + 1] = 1;
      }
    }
  }

  copy(accs: Accumulators): Accumulators {
    return accs.slice();
  }

  result(raw: Accumulators): Record<string, unknown> {
    const accs = raw as number[];
    const { codes, offsets, names } = this;
    const values: Record<string, unknown> = {};
    for (let i = 0; i < codes.length; i++) {
      const at = offsets[i] as number;
      const code = codes[i];
      const a = accs[at] as number;
      const b = accs[at + 1] as number;
      values[names[i] ?? ''] =
        code === COUNT || code === SUM ? a : code === AVG ? (b === 0 ? null : a / b) : b === 1 ? a : null;
    }
    return values;
  }
}
