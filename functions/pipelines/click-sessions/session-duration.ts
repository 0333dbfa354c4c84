import type { AggregateFunction } from '../../core/types.js';

/** `[first, last]` event time seen, or null before the first record: plain JSON for checkpoints. */
export type TimeSpan = [number, number] | null;

/**
 * Time from a session's first page view to its last, in ms (0 for a single view). Built from
 * event times, so merging two sessions gives the span of the merged one.
 */
export function sessionDuration<V>(): AggregateFunction<V, TimeSpan, number> {
  const widen = (span: TimeSpan, from: number, to: number): TimeSpan =>
    span === null ? [from, to] : [Math.min(span[0], from), Math.max(span[1], to)];
  return {
    init: () => null,
    add: (span, _value, timestamp) => widen(span, timestamp, timestamp),
    merge: (left, right) => (right === null ? left : widen(left, right[0], right[1])),
    result: (span) => (span === null ? 0 : span[1] - span[0]),
  };
}
