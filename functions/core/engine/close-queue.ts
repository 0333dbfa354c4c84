/**
 * A binary min-heap of windows by close time, then key, then start: closing is O(log n) per
 * window instead of a scan of every key. closeAt is end + a constant per engine, so this is the
 * emission order (end, key, start). Entries may go stale (a session that grew or merged); the
 * caller checks on pop. It is an index derived from the state, rebuilt when a state is decoded,
 * never serialized.
 *
 * Entries are kept in parallel arrays rather than one object each: a push allocates
 * nothing, and sifting compares close times read from one array of unboxed doubles.
 */
export class CloseQueue {
  private readonly closeAts: number[] = [];
  private readonly keys: string[] = [];
  private readonly starts: number[] = [];

  get size(): number {
    return this.closeAts.length;
  }

  /** Close time of the window that closes first (+Infinity when empty). */
  get nextCloseAt(): number {
    return this.closeAts.length === 0 ? Number.POSITIVE_INFINITY : (this.closeAts[0] as number);
  }

  /** Key of the window that closes first. */
  get nextKey(): string {
    return this.keys[0] as string;
  }

  /** Start of the window that closes first. */
  get nextStart(): number {
    return this.starts[0] as number;
  }

  /** Queues the window of `key` starting at `start`, closing when stream time reaches `closeAt`. */
  push(closeAt: number, key: string, start: number): void {
    const { closeAts, keys, starts } = this;
    let i = closeAts.length;
    closeAts.push(closeAt);
    keys.push(key);
    starts.push(start);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(closeAt, key, start, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, closeAt, key, start);
  }

  /** Removes the window that closes first. */
  pop(): void {
    const { closeAts, keys, starts } = this;
    const closeAt = closeAts.pop();
    const key = keys.pop() as string;
    const start = starts.pop() as number;
    const n = closeAts.length;
    if (closeAt === undefined || n === 0) return;
    // The last entry goes down from the top.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.precedes(right, left) ? right : left;
      if (this.before(closeAt, key, start, child)) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, closeAt, key, start);
  }

  /** Whether the entry given closes before the one at `i`. */
  private before(closeAt: number, key: string, start: number, i: number): boolean {
    const otherAt = this.closeAts[i] as number;
    if (closeAt !== otherAt) return closeAt < otherAt;
    const otherKey = this.keys[i] as string;
    if (key !== otherKey) return key < otherKey;
    return start < (this.starts[i] as number);
  }

  private precedes(i: number, j: number): boolean {
    return this.before(this.closeAts[i] as number, this.keys[i] as string, this.starts[i] as number, j);
  }

  private move(from: number, to: number): void {
    const { closeAts, keys, starts } = this;
    this.put(to, closeAts[from] as number, keys[from] as string, starts[from] as number);
  }

  private put(i: number, closeAt: number, key: string, start: number): void {
    this.closeAts[i] = closeAt;
    this.keys[i] = key;
    this.starts[i] = start;
  }
}
