import type { NumericKind } from '../aggregations.js';
import type { Aggregates } from './aggregates.js';
import type { Accumulators } from './state.js';

type Kind = NumericKind['kind'];

/**
 * How each numeric built-in keeps its slots, as JavaScript source: `a` is the expression of its
 * first slot's index, `n` the number read from the record. count `[n]`, sum `[sum]`, avg
 * `[sum, n]`, min/max `[value, seen 0|1]` (no null or Infinity, which JSON cannot keep apart).
 * Every slot starts at 0.
 */
const SOURCES: Record<
  Kind,
  {
    readonly slots: number;
    add(a: string): string;
    merge(into: string, from: string): string;
    result(a: string): string;
  }
> = {
  count: {
    slots: 1,
    add: (a) => `accs[${a}] += 1;`,
    merge: (i, f) => `into[${i}] += from[${f}];`,
    result: (a) => `accs[${a}]`,
  },
  sum: {
    slots: 1,
    add: (a) => `if (typeof n === 'number') accs[${a}] += n;`,
    merge: (i, f) => `into[${i}] += from[${f}];`,
    result: (a) => `accs[${a}]`,
  },
  avg: {
    slots: 2,
    add: (a) => `if (typeof n === 'number') { accs[${a}] += n; accs[${a} + 1] += 1; }`,
    merge: (i, f) => `into[${i}] += from[${f}]; into[${i} + 1] += from[${f} + 1];`,
    result: (a) => `accs[${a} + 1] === 0 ? null : accs[${a}] / accs[${a} + 1]`,
  },
  min: extreme('<'),
  max: extreme('>'),
};

function extreme(better: '<' | '>') {
  return {
    slots: 2,
    add: (a: string) =>
      `if (typeof n === 'number' && (accs[${a} + 1] === 0 || n ${better} accs[${a}])) { accs[${a}] = n; accs[${a} + 1] = 1; }`,
    merge: (i: string, f: string) =>
      `if (from[${f} + 1] === 1 && (into[${i} + 1] === 0 || from[${f}] ${better} into[${i}])) { into[${i}] = from[${f}]; into[${i} + 1] = 1; }`,
    result: (a: string) => `accs[${a} + 1] === 1 ? accs[${a}] : null`,
  };
}

type Add = (accs: Accumulators, base: number, value: unknown) => void;
type Merge = (into: Accumulators, intoBase: number, from: Accumulators, fromBase: number) => void;
type Result = (accs: Accumulators, base: number) => Record<string, unknown>;

/**
 * The numeric built-ins of an engine fused into plain numbers, a few slots per aggregation, with
 * every operation compiled for exactly these aggregations: straight-line code, no loop over
 * the aggregations and no branch on their kind per record, and a window's values built by one
 * object literal (V8 gives it its final shape at once: three times faster than storing name by
 * name, and a hopping engine emits more results than it reads records).
 */
export class FusedAggregates implements Aggregates {
  readonly width: number;
  readonly signature: readonly string[];
  readonly append: (accs: Accumulators) => void;
  readonly reset: (accs: Accumulators, at: number) => void;
  readonly add: Add;
  readonly merge: Merge;
  readonly result: Result;

  constructor(
    readonly names: readonly string[],
    kinds: readonly NumericKind[],
  ) {
    this.signature = names.map((name, i) => `${name}:${kinds[i]?.kind}`);
    const adds: string[] = [];
    const merges: string[] = [];
    const results: string[] = [];
    let width = 0;
    kinds.forEach(({ kind }, i) => {
      const source = SOURCES[kind];
      if (kind !== 'count') adds.push(`n = read${i}(value);`);
      adds.push(source.add(`base + ${width}`));
      merges.push(source.merge(`intoBase + ${width}`, `fromBase + ${width}`));
      // A quoted "__proto__" in a literal would set the prototype: a computed key defines it.
      const key = names[i] === '__proto__' ? '["__proto__"]' : JSON.stringify(names[i]);
      results.push(`${key}: ${source.result(`base + ${width}`)}`);
      width += source.slots;
    });
    this.width = width;
    const zeros = Array.from({ length: width }, () => '0');
    const resets = zeros.map((_, i) => `accs[at + ${i}] = 0;`);
    this.append = new Function(`return (accs) => { accs.push(${zeros.join(', ')}); };`)();
    this.reset = new Function(`return (accs, at) => { ${resets.join(' ')} };`)();
    const readers = kinds.map((_, i) => `read${i}`);
    const fields = kinds.map((k) => k.field ?? (() => undefined));
    this.add = new Function(...readers, `return (accs, base, value) => { let n; ${adds.join(' ')} };`)(
      ...fields,
    ) as Add;
    this.merge = new Function(
      `return (into, intoBase, from, fromBase) => { ${merges.join(' ')} };`,
    )() as Merge;
    this.result = new Function(`return (accs, base) => ({ ${results.join(', ')} });`)() as Result;
  }

  init(): Accumulators {
    const accs: number[] = [];
    this.append(accs);
    return accs;
  }

  copy(accs: Accumulators): Accumulators {
    return accs.slice();
  }
}
