import type { WindowSpec } from '../types.js';

/** Version of the state layout below; bumped on any incompatible change. */
export const STATE_VERSION = 4;

/** Accumulators of one window, one per aggregation, in the order of the aggregations' names. */
export type Accumulators = unknown[];

/**
 * Tumbling and hopping windows: records are aggregated into panes, the slices of
 * `gcd(size, advance)` that windows are made of, and a window is the merge of its panes. A pane
 * holds every key's accumulators end to end, keys in arrival order: the i-th key's are the slots
 * from `i * width` on, `width` being what the aggregations take (numeric built-ins one or two
 * numbers each, others one slot each).
 */
export interface TimePane {
  readonly start: number;
  readonly keys: string[];
  readonly accumulators: unknown[];
}

/**
 * A key's open sessions in one flat array, sorted by start: `[start, end, ...accumulators]` per
 * session (bounds both inclusive, then `width` accumulator slots; unboxed doubles when the
 * aggregations are numeric built-ins). One array per key rather than one per session: a record
 * reaches its sessions through one array instead of two.
 */
export type KeySessions = unknown[];

/** A sliding window `[start, start + timeDifference]`: `[start, maxRecordTs, accumulators]`. */
export type SlidingEntry = [start: number, maxRecordTs: number, accumulators: Accumulators];

interface StateBase {
  readonly v: typeof STATE_VERSION;
  /** The window spec the state was built for; a state is refused by an engine with another one. */
  readonly window: WindowSpec;
  /** The aggregations, in accumulator order: each name with its kind ("trips:count"; bare names in older states). */
  readonly aggregations: readonly string[];
  /** Largest record timestamp seen (or the time advanced to); null before the first record. */
  streamTime: number | null;
}

/** State of a tumbling or hopping engine: panes sorted by start. */
export interface TimeWindowState extends StateBase {
  readonly kind: 'time';
  readonly panes: TimePane[];
}

/** State of a session engine: each key's open sessions, sorted by start. */
export interface SessionState extends StateBase {
  readonly kind: 'session';
  readonly sessions: Record<string, KeySessions>;
}

/** State of a sliding engine: each key's open windows, sorted by start. */
export interface SlidingState extends StateBase {
  readonly kind: 'sliding';
  readonly windows: Record<string, SlidingEntry[]>;
}

/**
 * Everything an engine needs to continue: plain JSON data, versioned. Closed windows leave it.
 * The engine updates the state it is given in place and returns it (no copy per batch); keep an
 * encoded checkpoint ({@link encodeState}) to go back to an earlier point.
 */
export type EngineState = TimeWindowState | SessionState | SlidingState;
