/** What every example generator takes and yields. */

/** Options of a seeded generator. */
export interface GeneratorOptions {
  /** Same seed, same records, on any machine. */
  readonly seed: number;
  /** Number of records yielded. */
  readonly count: number;
  /** Epoch ms where the simulated clock starts. */
  readonly startMs: number;
  /** Mean records per second of simulated time (a Poisson process). */
  readonly ratePerSec: number;
}

/** One generated record, in arrival order. */
export interface GeneratedRecord<E> {
  /** The event as the pipeline's schema outputs it. */
  readonly event: E;
  /** When the record reaches the stream (simulated epoch ms); never decreasing along the output. */
  readonly arrivalMs: number;
  /**
   * The record's payload as a producer writes it (JSON, or a raw log line); the pipeline's
   * `parse` turns it back into `event`. Computed when read.
   */
  readonly text: string;
}

/** A seeded generator of one example pipeline. */
export type EventGenerator<E> = (options: GeneratorOptions) => Iterable<GeneratedRecord<E>>;

/** Checks generator options; throws a RangeError that quotes the bad value. */
export function checkGeneratorOptions(options: GeneratorOptions): void {
  const { seed, count, startMs, ratePerSec } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer (given ${seed})`);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a whole number >= 0 (given ${count})`);
  }
  if (!Number.isSafeInteger(startMs) || startMs < 0) {
    throw new RangeError(`startMs must be epoch ms >= 0 (given ${startMs})`);
  }
  if (!(ratePerSec > 0 && Number.isFinite(ratePerSec))) {
    throw new RangeError(`ratePerSec must be a finite number > 0 (given ${ratePerSec})`);
  }
}

interface Pending<E> {
  readonly record: GeneratedRecord<E>;
  readonly seq: number;
}

/**
 * Turns records produced in (roughly) event-time order into arrival order with bounded memory:
 * a min-heap on arrival time (ties in production order). A record may leave once the producer
 * promises that nothing still to come arrives earlier (`releaseUntil`).
 */
export class ArrivalQueue<E> {
  private readonly heap: Pending<E>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(record: GeneratedRecord<E>): void {
    this.heap.push({ record, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  /** Yields, in arrival order, every queued record arriving at or before `untilMs`. */
  *releaseUntil(untilMs: number): Generator<GeneratedRecord<E>> {
    while (this.heap.length > 0 && (this.heap[0]?.record.arrivalMs ?? Number.POSITIVE_INFINITY) <= untilMs) {
      yield this.pop();
    }
  }

  /** Yields everything left, in arrival order. */
  *drain(): Generator<GeneratedRecord<E>> {
    while (this.heap.length > 0) yield this.pop();
  }

  private pop(): GeneratedRecord<E> {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) throw new RangeError('pop on an empty arrival queue');
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top.record;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return false;
    const dx = x.record.arrivalMs - y.record.arrivalMs;
    return dx < 0 || (dx === 0 && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a];
    const y = this.heap[b];
    if (x === undefined || y === undefined) return;
    this.heap[a] = y;
    this.heap[b] = x;
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.less(left, smallest)) smallest = left;
      if (right < this.heap.length && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}

/**
 * Runs a producer that pushes records in non-decreasing cursor order (each record arriving at or
 * after the cursor it was pushed at) and yields the first `count` records produced, in arrival
 * order. Memory stays bounded by the records in flight, not by `count`.
 */
export function* inArrivalOrder<E>(
  count: number,
  produce: (push: (record: GeneratedRecord<E>) => void) => number,
): Generator<GeneratedRecord<E>> {
  const queue = new ArrivalQueue<E>();
  let produced = 0;
  const push = (record: GeneratedRecord<E>): void => {
    if (produced >= count) return;
    queue.push(record);
    produced += 1;
  };
  while (produced < count) {
    // `produce` pushes some records and returns the cursor: nothing pushed later arrives before it.
    const cursor = produce(push);
    yield* queue.releaseUntil(cursor);
  }
  yield* queue.drain();
}
