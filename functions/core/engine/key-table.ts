/**
 * Keys interned to small integer ids, with their ascending order. An index derived from a state,
 * never serialized: per record one map lookup finds the id, and everything after that (the
 * record's pane position, merging panes into a window, sorting a closing window's keys) works on
 * arrays indexed by id instead of hashing strings again.
 *
 * Ids are never reused: a table only grows. Its owner rebuilds it from the state's live keys once
 * the table outgrows them, which keeps the heap flat when keys come and go.
 */
export class KeyTable {
  // A dictionary object rather than a Map: its entries sit in the hash table itself, where a
  // Map's are behind a bucket array, one cache miss instead of two for a key not seen lately.
  private readonly ids: Record<string, number> = Object.create(null);
  private readonly keys: string[] = [];
  // Ascending key order, valid while `ranked` is the table size: rank by id and id by rank.
  private rankOf = new Int32Array(0);
  private idAt = new Int32Array(0);
  private ranked = 0;

  get size(): number {
    return this.keys.length;
  }

  idOf(key: string): number {
    let id = this.ids[key];
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.ids[key] = id;
    }
    return id;
  }

  keyOf(id: number): string {
    return this.keys[id] as string;
  }

  /**
   * `ids` in ascending key order. `marks[id] === mark` must hold for exactly the ids given: few
   * are sorted by rank, many are picked out walking every rank.
   */
  inKeyOrder(ids: readonly number[], marks: Int32Array, mark: number): Int32Array {
    this.rank();
    const { rankOf, idAt } = this;
    const n = this.keys.length;
    const ordered = new Int32Array(ids.length);
    if (ids.length * 16 >= n) {
      let found = 0;
      for (let r = 0; r < n; r++) {
        const id = idAt[r] as number;
        if (marks[id] === mark) ordered[found++] = id;
      }
      return ordered;
    }
    for (let i = 0; i < ids.length; i++) ordered[i] = rankOf[ids[i] as number] as number;
    ordered.sort();
    for (let i = 0; i < ordered.length; i++) ordered[i] = idAt[ordered[i] as number] as number;
    return ordered;
  }

  // A fixed key set is ranked once. New keys are sorted among themselves and merged into the
  // ranked ones: string comparisons for the new keys only, not for the whole table again.
  private rank(): void {
    const n = this.keys.length;
    const ranked = this.ranked;
    if (ranked === n) return;
    const keys = this.keys;
    const fresh = Array.from({ length: n - ranked }, (_, i) => ranked + i);
    fresh.sort((a, b) => compare(keys[a] as string, keys[b] as string));
    const old = this.idAt;
    const idAt = new Int32Array(n);
    let i = 0;
    let j = 0;
    for (let r = 0; r < n; r++) {
      const takeOld =
        j >= fresh.length ||
        (i < ranked && (keys[old[i] as number] as string) < (keys[fresh[j] as number] as string));
      idAt[r] = takeOld ? (old[i++] as number) : (fresh[j++] as number);
    }
    const rankOf = new Int32Array(n);
    for (let r = 0; r < n; r++) rankOf[idAt[r] as number] = r;
    this.idAt = idAt;
    this.rankOf = rankOf;
    this.ranked = n;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
