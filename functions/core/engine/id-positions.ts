/**
 * A map from key id to position (both small non-negative integers) in one typed array: open
 * addressing, linear probing. A lookup is a few array reads with no string hashing and no boxing,
 * and its memory follows the number of entries, not of ids (a state may hold many small panes).
 * Each slot keeps the id and its position side by side, so a lookup usually reads one cache line.
 */
export class IdPositions {
  // Pairs [id + 1 (0: empty slot), position]; the number of slots is a power of two.
  private pairs: Int32Array;
  private count = 0;

  /** `expected`: how many ids it will probably hold (room is made for them at once). */
  constructor(expected = 0) {
    let slots = 16;
    while (slots < 2 * expected) slots *= 2;
    this.pairs = new Int32Array(2 * slots);
  }

  /** The position of `id`, or -1. */
  get(id: number): number {
    const pairs = this.pairs;
    const mask = (pairs.length >> 1) - 1;
    const wanted = id + 1;
    // Ids are dense, so the id itself spreads well over the slots.
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const slot = pairs[2 * i] as number;
      if (slot === wanted) return pairs[2 * i + 1] as number;
      if (slot === 0) return -1;
    }
  }

  /** Adds `id` (not present yet) at `position`. */
  add(id: number, position: number): void {
    if (4 * (this.count + 1) > this.pairs.length) this.grow();
    this.place(id, position);
    this.count++;
  }

  private place(id: number, position: number): void {
    const pairs = this.pairs;
    const mask = (pairs.length >> 1) - 1;
    let i = id & mask;
    while (pairs[2 * i] !== 0) i = (i + 1) & mask;
    pairs[2 * i] = id + 1;
    pairs[2 * i + 1] = position;
  }

  private grow(): void {
    const old = this.pairs;
    this.pairs = new Int32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const slot = old[i] as number;
      if (slot !== 0) this.place(slot - 1, old[i + 1] as number);
    }
  }
}
