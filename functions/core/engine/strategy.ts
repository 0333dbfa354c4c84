import type { KeyedRecord, LateRecord, WindowResult } from '../types.js';
import type { Aggregates } from './aggregates.js';
import type { EngineState } from './state.js';

/** Where a strategy puts what it emits while processing. */
export interface Emissions {
  readonly results: WindowResult[];
  readonly late: LateRecord[];
}

/** What every strategy is given when it is built. */
export interface StrategyContext {
  readonly aggregates: Aggregates;
  /** True in `updates` mode: emit after every change (and retract merged-away sessions). */
  readonly emitUpdates: boolean;
}

/** One window type's rules over its own state layout. */
export interface WindowStrategy<S extends EngineState = EngineState> {
  readonly kind: S['kind'];
  /**
   * Called with every state given to the engine before stream time moves: lets the strategy
   * (re)build indexes derived from the state as it was checkpointed.
   */
  attach?(state: S): void;
  /** An empty state of this kind. */
  create(base: Pick<S, 'v' | 'window' | 'aggregations' | 'streamTime'>): S;
  /** Aggregates one record; `state.streamTime` already includes it. Reports late windows. */
  add(state: S, record: KeyedRecord, out: Emissions): void;
  /**
   * When every window `record` belongs to is closed at `state.streamTime`, reports it late for
   * each of them, exactly as `add` would, and returns true; otherwise reports nothing and returns
   * false. Never changes the state (nor does `add` for such a record).
   */
  lateOnly(state: S, record: KeyedRecord, out: Emissions): boolean;
  /**
   * Removes the windows closed at `state.streamTime` (all of them when `everything`), emitting
   * their final results in final mode, ordered by window end, then key, then start.
   */
  close(state: S, out: Emissions, everything: boolean): void;
}

/** The late record reporting that `record` missed the window from `windowStart` to `windowEnd`. */
export function lateRecord(
  record: KeyedRecord,
  windowStart: number,
  windowEnd: number,
  streamTime: number,
): LateRecord {
  const { key, ts, value } = record;
  return { key, ts, value, windowStart, windowEnd, streamTime, lateness: streamTime - ts };
}
