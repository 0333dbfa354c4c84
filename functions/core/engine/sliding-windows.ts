import type { KeyedRecord } from '../types.js';
import { CloseQueue } from './close-queue.js';
import type { Accumulators, SlidingEntry, SlidingState } from './state.js';
import { type Emissions, lateRecord, type StrategyContext, type WindowStrategy } from './strategy.js';

interface Indexes {
  /** Windows not yet closed, by close time. */
  readonly close: CloseQueue;
  /** Closed windows kept for lookups (as Kafka Streams' store retention does), by eviction time. */
  readonly evict: CloseQueue;
}

// Derived from the state alone, so any sliding engine may continue any state.
const indexes = new WeakMap<SlidingState, Indexes>();

/** Index of the last entry with start <= `start`, or -1. */
function lastAtOrBefore(list: readonly SlidingEntry[], start: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as SlidingEntry)[0] <= start) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

function find(list: readonly SlidingEntry[], start: number): number {
  const i = lastAtOrBefore(list, start);
  return i >= 0 && (list[i] as SlidingEntry)[0] === start ? i : -1;
}

/** An aggregate copied before the window it came from is updated: `[accumulators, maxRecordTs]`. */
type Snapshot = readonly [Accumulators, number];

/**
 * Kafka Streams' SlidingWindows, ported from KStreamSlidingWindowAggregate: windows
 * `[start, start + timeDifference]` (both bounds inclusive) exist only where records create
 * them: each record's left window `[ts - timeDifference, ts]`, and the right window
 * `[ts + 1, ts + 1 + timeDifference]` of a record whenever a later record falls in it. Records
 * before `timeDifference` share the window `[0, timeDifference]`. With `closeTime = streamTime -
 * grace`, a window is closed once its end is before closeTime; a record whose every window is
 * closed is late as a whole, otherwise per window. Closed windows stay in the state (not
 * emitted again) until their start is `3 * timeDifference` before closeTime: a record that is not
 * late may be up to `timeDifference` before closeTime (its right window still open) and looks back
 * `2 * timeDifference` from there, for its previous record and for the aggregate its left window
 * copies.
 */
export function slidingStrategy(
  timeDifference: number,
  grace: number,
  { aggregates, emitUpdates }: StrategyContext,
): WindowStrategy<SlidingState> {
  const td = timeDifference;
  const closeAt = (start: number) => start + td + grace + 1;
  const evictAt = (start: number) => start + 3 * td + grace + 1;

  const indexesOf = (state: SlidingState): Indexes => {
    let found = indexes.get(state);
    if (found === undefined) {
      found = { close: new CloseQueue(), evict: new CloseQueue() };
      const streamTime = state.streamTime ?? 0;
      for (const key of Object.keys(state.windows)) {
        for (const [start] of state.windows[key] ?? []) {
          if (closeAt(start) <= streamTime) found.evict.push(evictAt(start), key, start);
          else found.close.push(closeAt(start), key, start);
        }
      }
      indexes.set(state, found);
    }
    return found;
  };

  /** Whether a record's right window is closed too: it is then late as a whole. */
  const isWhollyLate = (ts: number, streamTime: number) => ts + 1 + td <= streamTime - grace;
  /** A record late as a whole: one late record, for its left window. */
  const reportWhollyLate = (record: KeyedRecord, streamTime: number, out: Emissions) => {
    const start = Math.max(0, record.ts - td);
    out.late.push(lateRecord(record, start, start + td, streamTime));
  };

  const add = (state: SlidingState, record: KeyedRecord, out: Emissions): void => {
    const { key, ts, value } = record;
    const streamTime = state.streamTime ?? ts;
    const closeTime = streamTime - grace;
    if (isWhollyLate(ts, streamTime)) {
      reportWhollyLate(record, streamTime, out);
      return;
    }
    let list = state.windows[key];
    if (list === undefined) {
      list = [];
      state.windows[key] = list;
    }
    const windows = list;
    const queue = indexesOf(state).close;
    // A record that is not late has its right window still open (ts + 1 + d > closeTime, so
    // ts >= closeTime - d), and looks at windows back to ts - 2d >= closeTime - 3d: none older is
    // ever needed (a tighter bound exists; this one is simple and safe). They are evicted, so must
    // not be looked at before that either.
    const visibleFrom = Math.max(0, closeTime - 3 * td);

    const forward = (start: number, accs: Accumulators) => {
      if (emitUpdates)
        out.results.push({
          key,
          windowStart: start,
          windowEnd: start + td,
          values: aggregates.result(accs, 0),
        });
    };
    // The closed windows this record missed, each reported once: the previous record's right
    // window and this record's left window can be the same window (Kafka Streams' metric counts
    // that drop twice; the late records would land in late/ twice).
    let lateStart = -1;
    const missed = (start: number) => {
      if (start === lateStart) return;
      lateStart = start;
      out.late.push(lateRecord(record, start, start + td, streamTime));
    };
    const updateExisting = (entry: SlidingEntry) => {
      if (entry[0] + td < closeTime) {
        missed(entry[0]);
        return;
      }
      aggregates.add(entry[2], 0, value, ts);
      if (ts > entry[1]) entry[1] = ts;
      forward(entry[0], entry[2]);
    };
    // A put, as in Kafka Streams' window store: a window created twice for one record (the
    // previous record's right window can be this record's left window) is overwritten.
    const insert = (entry: SlidingEntry) => {
      const at = lastAtOrBefore(windows, entry[0]);
      const existing = windows[at];
      if (existing !== undefined && existing[0] === entry[0]) {
        existing[1] = entry[1];
        existing[2] = entry[2];
        return;
      }
      windows.splice(at + 1, 0, entry);
      queue.push(closeAt(entry[0]), key, entry[0]);
    };
    const createWithRecord = (start: number, accs: Accumulators) => {
      if (start + td < closeTime) {
        missed(start);
        return;
      }
      aggregates.add(accs, 0, value, ts);
      insert([start, ts, accs]);
      forward(start, accs);
    };
    // The current record's right window holds the later records only: a copy, without the record.
    const createRightWindow = (right: Snapshot) => {
      insert([ts + 1, right[1], right[0]]);
      forward(ts + 1, right[0]);
    };

    if (ts < td) {
      // Early records: no window may start before 0, so they share [0, td].
      let combined: SlidingEntry | undefined;
      let right: Snapshot | undefined;
      let rightCreated = false;
      let previous: number | undefined;
      const last = lastAtOrBefore(windows, ts + 1);
      for (let i = 0; i <= last; i++) {
        const entry = windows[i] as SlidingEntry;
        const start = entry[0];
        if (start < visibleFrom) continue;
        if (start === 0) {
          combined = entry;
          if (entry[1] < ts) previous = entry[1];
        } else if (start <= ts) {
          right = [aggregates.copy(entry[2]), entry[1]];
          updateExisting(entry);
        } else {
          rightCreated = true;
        }
      }
      if (right === undefined && combined !== undefined && combined[1] > ts) {
        right = [aggregates.copy(combined[2]), combined[1]];
      }
      if (!rightCreated && right !== undefined && right[1] > ts) createRightWindow(right);
      if (previous !== undefined && find(windows, previous + 1) < 0) {
        createWithRecord(previous + 1, aggregates.init());
      }
      if (combined === undefined) createWithRecord(0, aggregates.init());
      else updateExisting(combined);
      return;
    }

    let right: Snapshot | undefined;
    let left: SlidingEntry | undefined;
    let leftCreated = false;
    let rightCreated = false;
    let previous: number | undefined;
    const lowest = Math.max(ts - 2 * td, visibleFrom);
    for (let i = lastAtOrBefore(windows, ts + 1); i >= 0; i--) {
      const entry = windows[i] as SlidingEntry;
      const start = entry[0];
      if (start < lowest) break;
      const end = start + td;
      const maxTs = entry[1];
      if (start === ts + 1) {
        rightCreated = true;
      } else if (end > ts) {
        if (right === undefined) right = [aggregates.copy(entry[2]), maxTs];
        updateExisting(entry);
      } else if (end === ts) {
        leftCreated = true;
        updateExisting(entry);
        // A record at ts exists already: all of this record's windows exist too.
        if (maxTs >= ts) return;
        previous = maxTs;
      } else {
        left = entry;
        previous = maxTs;
        break;
      }
    }
    if (previous !== undefined) {
      const previousRightStart = previous + 1;
      if (find(windows, previousRightStart) < 0 && previousRightStart + td >= ts) {
        createWithRecord(previousRightStart, aggregates.init());
      }
    }
    if (!leftCreated) {
      const leftNotEmpty = previous !== undefined && left !== undefined && ts - td <= previous;
      createWithRecord(
        ts - td,
        leftNotEmpty && left !== undefined ? aggregates.copy(left[2]) : aggregates.init(),
      );
    }
    if (!rightCreated && right !== undefined && right[1] > ts) createRightWindow(right);
  };

  return {
    kind: 'sliding',
    attach: (state) => {
      indexesOf(state);
    },
    create: (base) => {
      const state: SlidingState = { ...base, kind: 'sliding', windows: Object.create(null) };
      indexes.set(state, { close: new CloseQueue(), evict: new CloseQueue() });
      return state;
    },

    add(state, record, out) {
      const before = out.results.length;
      add(state, record, out);
      // Updates of one record, in the engine's emission order (end, then start; one key).
      if (emitUpdates && out.results.length - before > 1) {
        const mine = out.results.splice(before).sort((a, b) => a.windowEnd - b.windowEnd);
        out.results.push(...mine);
      }
    },

    lateOnly(state, record, out) {
      const streamTime = state.streamTime;
      if (streamTime === null || !isWhollyLate(record.ts, streamTime)) return false;
      reportWhollyLate(record, streamTime, out);
      return true;
    },

    close(state, out, everything) {
      const { close, evict } = indexesOf(state);
      const streamTime = state.streamTime ?? 0;
      while (close.size > 0 && (everything || close.nextCloseAt <= streamTime)) {
        const key = close.nextKey;
        const start = close.nextStart;
        close.pop();
        const list = state.windows[key];
        const index = list === undefined ? -1 : find(list, start);
        if (list === undefined || index < 0) continue;
        if (!emitUpdates) {
          const entry = list[index] as SlidingEntry;
          out.results.push({
            key,
            windowStart: start,
            windowEnd: start + td,
            values: aggregates.result(entry[2], 0),
          });
        }
        evict.push(evictAt(start), key, start);
      }
      while (evict.size > 0 && (everything || evict.nextCloseAt <= streamTime)) {
        const key = evict.nextKey;
        const start = evict.nextStart;
        evict.pop();
        const list = state.windows[key];
        const index = list === undefined ? -1 : find(list, start);
        if (list === undefined || index < 0) continue;
        list.splice(index, 1);
        if (list.length === 0) delete state.windows[key];
      }
    },
  };
}
