/**
 * The vocabulary shared by the windowing engine, the pipeline definitions, the handlers and the
 * local runtime. Pure types: no AWS, no I/O.
 */

/** Kafka Streams' window types. All times are epoch milliseconds; every type has a grace period. */
export type WindowSpec =
  | { readonly type: 'tumbling'; readonly sizeMs: number; readonly graceMs: number }
  | {
      readonly type: 'hopping';
      readonly sizeMs: number;
      readonly advanceMs: number;
      readonly graceMs: number;
    }
  /** Kafka Streams' SlidingWindows: windows of `timeDifferenceMs` with both bounds inclusive. */
  | { readonly type: 'sliding'; readonly timeDifferenceMs: number; readonly graceMs: number }
  /** Session windows: a record within `gapMs` (inclusive) of a session joins it. */
  | { readonly type: 'session'; readonly gapMs: number; readonly graceMs: number };

/** `final` emits each window once when it closes (suppression); `updates` emits after every change. */
export type EmitMode = 'final' | 'updates';

/** A user-defined aggregation. The accumulator must be plain JSON data so state can be checkpointed. */
export interface AggregateFunction<V, A, R> {
  init(): A;
  /**
   * Adds one value. May update `accumulator` in place and return it (the engine owns it).
   * `timestamp` is the record's event time, for order-sensitive aggregations (first, last).
   */
  add(accumulator: A, value: V, timestamp: number): A;
  /**
   * Combines two accumulators (sessions merging, sliding windows copying an aggregate). May update
   * `left` in place and return it; must not share anything it may later update with `right`.
   */
  merge(left: A, right: A): A;
  result(accumulator: A): R;
}

/** One input record for the engine, already validated and keyed. */
export interface KeyedRecord<V = unknown> {
  readonly key: string;
  /** Event time (or arrival time, per the pipeline), epoch ms. */
  readonly ts: number;
  readonly value: V;
}

/** A window's result. `values: null` retracts a session merged away (updates mode only). */
export interface WindowResult {
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly values: Readonly<Record<string, unknown>> | null;
}

/** A record that arrived after its window closed: kept, never dropped. One per window it missed. */
export interface LateRecord<V = unknown> {
  readonly key: string;
  readonly ts: number;
  readonly value: V;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly streamTime: number;
  /** How far behind stream time the record arrived: `streamTime - ts` (Kafka Streams' "delay"). */
  readonly lateness: number;
}
