/**
 * A map from key id to position (both small non-negative integers) in two typed arrays: open
 * addressing, linear probing. A lookup is a few array reads with no string hashing and no boxing,
 * and its memory follows the number of entries, not of ids (a state may hold many small panes).
 */
export class IdPositions {
  // ids + 1 (0: empty slot), and the positions beside them; the capacity is a power of two.
  private slots: Int32Array;
  private positions: Int32Array;
  private count = 0;

  /** `expected`: how many ids it will probably hold (room is made for them at once). */
  constructor(expected = 0) {
    let capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.positions = new Int32Array(capacity);
  }

  /** The position of `id`, or -1. */
  get(id: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const wanted = id + 1;
    // Ids are dense, so the id itself spreads well over the slots.
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const slot = slots[i] as number;
      if (slot === wanted) return this.positions[i] as number;
      if (slot === 0) return -1;
    }
  }

  /** Adds `id` (not present yet) at `position`. */
  add(id: number, position: number): void {
    if (2 * (this.count + 1) > this.slots.length) this.grow();
    this.place(id, position);
    this.count++;
  }

  private place(id: number, position: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = id & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
    this.positions[i] = position;
  }

  private grow(): void {
    const { slots, positions } = this;
    this.slots = new Int32Array(slots.length * 2);
    this.positions = new Int32Array(slots.length * 2);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as number;
      if (slot !== 0) this.place(slot - 1, positions[i] as number);
    }
  }
}
