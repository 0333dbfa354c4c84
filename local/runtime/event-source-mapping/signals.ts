/**
 * Wakes sleepers when something changed (records queued, a batch finished, the runner stops).
 * `wait` resolves on the next `notify`, after `timeoutMs`, or when `signal` aborts.
 */
export class Notifier {
  private waiters: (() => void)[] = [];

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.notify(), { once: true });
  }

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      this.waiters.push(done);
    });
  }
}

/**
 * The checkpoint of a shard whose records are processed out of fetch order (parallel lanes): the
 * highest sequence number such that it and every record fetched before it are done.
 */
export class SequenceTracker {
  private readonly pending: { readonly sequenceNumber: string; done: boolean }[] = [];
  private readonly index = new Map<string, { readonly sequenceNumber: string; done: boolean }>();
  private head = 0;

  fetched(sequenceNumber: string): void {
    const entry = { sequenceNumber, done: false };
    this.pending.push(entry);
    this.index.set(sequenceNumber, entry);
  }

  /** Marks records done; returns the new checkpoint when it moved. */
  done(sequenceNumbers: Iterable<string>): string | undefined {
    for (const s of sequenceNumbers) {
      const entry = this.index.get(s);
      if (entry) entry.done = true;
    }
    let moved: string | undefined;
    while (this.head < this.pending.length && this.pending[this.head]?.done) {
      const entry = this.pending[this.head];
      if (entry) {
        moved = entry.sequenceNumber;
        this.index.delete(entry.sequenceNumber);
      }
      this.head += 1;
    }
    if (this.head > 4096) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    return moved;
  }

  /** Records fetched and not yet done. */
  get outstanding(): number {
    return this.pending.length - this.head;
  }
}
