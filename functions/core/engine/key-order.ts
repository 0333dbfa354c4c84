import type { TimeBucket } from './state.js';

const POSITION_BITS = 2 ** 26;

/**
 * Sorts a closing bucket's keys cheaply. Sorting 10,000 strings takes milliseconds, and a hopping
 * engine closes a bucket every advance; but the keys repeat from bucket to bucket. So the keys are
 * ranked once (again only after new keys appeared) and each bucket sorts numbers: rank and
 * position packed into one float, sorted by the typed array's native numeric sort.
 */
export class KeyOrder {
  private rank = new Map<string, number>();
  // Nothing ranked yet (a new engine, or a state just decoded).
  private stale = true;

  /** Notes a key entering some bucket. */
  saw(key: string): void {
    if (!this.stale && !this.rank.has(key)) this.stale = true;
  }

  /** Positions of `keys` in ascending key order; `buckets` are all open buckets (to re-rank from). */
  sortedPositions(keys: readonly string[], buckets: readonly TimeBucket[]): Iterable<number> {
    const n = keys.length;
    if (n >= POSITION_BITS)
      return [...keys.keys()].sort((a, b) => compare(keys[a] as string, keys[b] as string));
    if (this.stale) this.rerank(buckets);
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = (this.rank.get(keys[i] as string) ?? 0) * POSITION_BITS + i;
    packed.sort();
    for (let i = 0; i < n; i++) packed[i] = (packed[i] as number) % POSITION_BITS;
    return packed;
  }

  // Ranks every key known so far plus the new ones, so that a fixed key set is ranked once;
  // keys that went away are forgotten once they outnumber the keys still in open buckets.
  private rerank(buckets: readonly TimeBucket[]): void {
    const live = new Set<string>();
    for (const bucket of buckets) for (const key of bucket.keys) live.add(key);
    let keys = live;
    if (this.rank.size < 2 * live.size) {
      keys = new Set(this.rank.keys());
      for (const key of live) keys.add(key);
    }
    // The default sort compares UTF-16 code units, as `<` does, and is faster than a comparator.
    const sorted = [...keys].sort();
    this.rank = new Map(sorted.map((key, i) => [key, i]));
    this.stale = false;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
