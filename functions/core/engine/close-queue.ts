/** `[closeAt, key, start]`: the window of `key` starting at `start` closes when stream time reaches `closeAt`. */
export type CloseEntry = readonly [closeAt: number, key: string, start: number];

// closeAt is end + a constant per engine, so this is the emission order: end, then key, then start.
function before(a: CloseEntry, b: CloseEntry): boolean {
  if (a[0] !== b[0]) return a[0] < b[0];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[2] < b[2];
}

/**
 * A binary min-heap of windows by close time: closing is O(log n) per window instead of a scan of
 * every key. Entries may go stale (a session that grew or merged); the caller checks on pop.
 * It is an index derived from the state, rebuilt when a state is decoded, never serialized.
 */
export class CloseQueue {
  private readonly heap: CloseEntry[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(entry: CloseEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as CloseEntry;
      if (!before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  /** The entry that closes first, without removing it. */
  peek(): CloseEntry | undefined {
    return this.heap[0];
  }

  pop(): CloseEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right] as CloseEntry, heap[left] as CloseEntry)) child = right;
      const c = heap[child] as CloseEntry;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
