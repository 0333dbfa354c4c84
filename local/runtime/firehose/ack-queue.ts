/**
 * Positions in arrival order, acknowledged in any order (objects of different partitions reach S3
 * out of order). `ack` returns the last position of the acknowledged prefix when it grew: the
 * position a checkpoint may move to. O(1) amortized per position.
 */
export class AckQueue<K> {
  private keys: K[] = [];
  private done: boolean[] = [];
  private head = 0;

  /** Adds a position; returns its index for `ack`. */
  push(key: K): number {
    this.keys.push(key);
    this.done.push(false);
    return this.offset + this.keys.length - 1;
  }

  /** Acknowledges one position; returns the new end of the acknowledged prefix, if it moved. */
  ack(index: number): K | undefined {
    const i = index - this.offset;
    if (i < this.head || i >= this.done.length) return undefined;
    this.done[i] = true;
    let last: K | undefined;
    while (this.head < this.done.length && this.done[this.head] === true) {
      last = this.keys[this.head];
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.keys.length) this.compact();
    return last;
  }

  /** Positions not yet acknowledged. */
  get size(): number {
    return this.keys.length - this.head;
  }

  private offset = 0;

  private compact(): void {
    this.keys = this.keys.slice(this.head);
    this.done = this.done.slice(this.head);
    this.offset += this.head;
    this.head = 0;
  }
}
