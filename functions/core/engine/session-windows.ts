import { StateCorruptError } from '../errors.js';
import type { KeyedRecord } from '../types.js';
import { CloseQueue } from './close-queue.js';
import type { KeySessions, SessionState } from './state.js';
import { type Emissions, lateRecord, type StrategyContext, type WindowStrategy } from './strategy.js';

/**
 * In-memory lookups derived from a state (never serialized): the close queue. Derived from the
 * state alone (gap and grace are part of its window spec), so any session engine may continue any
 * state. A key's sessions are looked up in the state's own dictionary object: with 10,000 keys
 * the lookups miss the cache, and its entries sit in the hash table itself, where a Map's are
 * behind a bucket array (measured about 10% faster than a Map beside it).
 */
interface Runtime {
  readonly queue: CloseQueue;
}

const runtimes = new WeakMap<SessionState, Runtime>();

const emptyRuntime = (): Runtime => ({ queue: new CloseQueue() });

/**
 * Session windows as Kafka Streams' KStreamSessionWindowAggregate: a session is `[first, last]`
 * record time (inclusive); a record within `gap` (inclusive) of sessions joins them, merging
 * every session it bridges. With `closeTime = streamTime - gap - grace`, a record is late when the
 * session it would form ends before closeTime, and a session's final result is emitted once its
 * end is before closeTime (`streamTime > end + gap + grace`, Kafka Streams' onWindowClose emit
 * strategy; `>` rather than suppression's `>=` keeps "closed" and "late" the same boundary).
 * A closed session leaves the state at once: a record within `gap` of it that is not late starts
 * or joins another session instead of reopening it (Kafka Streams' store would still merge it,
 * emitting the closed session's records a second time).
 */
export function sessionStrategy(
  gap: number,
  grace: number,
  { aggregates, emitUpdates }: StrategyContext,
): WindowStrategy<SessionState> {
  const closeAt = (end: number) => end + gap + grace + 1;
  /** Slots a session takes in its key's array: start, end, then its accumulators. */
  const stride = 2 + aggregates.width;

  /** Throws unless `sessions` holds whole sessions with sane bounds, sorted and disjoint. */
  const check = (key: string, sessions: KeySessions) => {
    if (sessions.length === 0 || sessions.length % stride !== 0) {
      throw new StateCorruptError(
        `key ${JSON.stringify(key)} holds ${sessions.length} session slots, not a multiple of ${stride} (start, end and ${aggregates.width} accumulator slots per session)`,
      );
    }
    let previousEnd = Number.NEGATIVE_INFINITY;
    for (let at = 0; at < sessions.length; at += stride) {
      const start = sessions[at];
      const end = sessions[at + 1];
      const sane =
        Number.isSafeInteger(start) &&
        Number.isSafeInteger(end) &&
        (start as number) <= (end as number) &&
        (start as number) > previousEnd;
      if (!sane) {
        throw new StateCorruptError(
          `key ${JSON.stringify(key)}: session ${at / stride + 1} spans ${JSON.stringify(start)} to ${JSON.stringify(end)}, not whole numbers after ${previousEnd}`,
        );
      }
      previousEnd = end as number;
    }
  };

  const runtimeOf = (state: SessionState): Runtime => {
    let found = runtimes.get(state);
    if (found === undefined) {
      found = emptyRuntime();
      // Keys are looked up in it directly: "constructor" or "__proto__" must not find Object's.
      if (Object.getPrototypeOf(state.sessions) !== null) Object.setPrototypeOf(state.sessions, null);
      for (const key of Object.keys(state.sessions)) {
        const sessions = state.sessions[key] as KeySessions;
        check(key, sessions);
        for (let at = 0; at < sessions.length; at += stride) {
          found.queue.push(closeAt(sessions[at + 1] as number), key, sessions[at] as number);
        }
      }
      runtimes.set(state, found);
    }
    return found;
  };
  // Set by attach(), which the engine calls with the state before every add/close on it.
  let runtime: Runtime = emptyRuntime();

  const update = (out: Emissions, key: string, sessions: KeySessions, at: number) => {
    const windowStart = sessions[at] as number;
    const windowEnd = sessions[at + 1] as number;
    out.results.push({ key, windowStart, windowEnd, values: aggregates.result(sessions, at + 2) });
  };

  /**
   * The sessions within reach of a record (set by findReach): `count` sessions from slot `first`
   * on (or where a new one goes), and the session the record would form with them. One object,
   * reused: add runs for every record.
   */
  const reach = { first: 0, count: 0, start: 0, end: 0 };
  const findReach = (sessions: KeySessions | undefined, ts: number) => {
    // A key's sessions are disjoint and more than `gap` apart, so those within reach of ts
    // form one run of the array sorted by start.
    let first = sessions?.length ?? 0;
    let count = 0;
    let start = ts;
    let end = ts;
    if (sessions !== undefined) {
      for (let at = 0; at < sessions.length; at += stride) {
        if ((sessions[at] as number) > ts + gap) {
          if (count === 0) first = at;
          break;
        }
        if ((sessions[at + 1] as number) >= ts - gap) {
          if (count === 0) first = at;
          count++;
          if ((sessions[at] as number) < start) start = sessions[at] as number;
          if ((sessions[at + 1] as number) > end) end = sessions[at + 1] as number;
        }
      }
    }
    reach.first = first;
    reach.count = count;
    reach.start = start;
    reach.end = end;
  };

  return {
    kind: 'session',
    attach: (state) => {
      runtime = runtimeOf(state);
    },
    create: (base) => {
      const state: SessionState = { ...base, kind: 'session', sessions: Object.create(null) };
      runtimes.set(state, emptyRuntime());
      return state;
    },

    add(state, record: KeyedRecord, out: Emissions) {
      const { key, ts, value } = record;
      const streamTime = state.streamTime ?? ts;
      let sessions = state.sessions[key];
      findReach(sessions, ts);
      const { first, count, start, end } = reach;
      if (end < streamTime - gap - grace) {
        out.late.push(lateRecord(record, start, end, streamTime));
        return;
      }
      if (sessions === undefined) {
        sessions = [];
        state.sessions[key] = sessions;
      }
      if (count === 0) {
        const fresh: KeySessions = [start, end];
        aggregates.append(fresh);
        if (first === sessions.length) sessions.push(...fresh);
        else sessions.splice(first, 0, ...fresh);
        runtime.queue.push(closeAt(end), key, start);
      } else {
        const oldStart = sessions[first] as number;
        const oldEnd = sessions[first + 1] as number;
        if (emitUpdates && (count > 1 || oldStart !== start || oldEnd !== end)) {
          // Every session the record joins is retracted: each of them changes or goes.
          for (let at = first; at < first + count * stride; at += stride) {
            out.results.push({
              key,
              windowStart: sessions[at] as number,
              windowEnd: sessions[at + 1] as number,
              values: null,
            });
          }
        }
        // The sessions the record bridges merge into the first of them, in place.
        for (let at = first + stride; at < first + count * stride; at += stride) {
          aggregates.merge(sessions, first + 2, sessions, at + 2);
        }
        if (count > 1) sessions.splice(first + stride, (count - 1) * stride);
        sessions[first] = start;
        sessions[first + 1] = end;
        // The queue knows a session by its start, so only a new start needs a new entry; a later
        // end is caught when the old entry comes up (close()).
        if (start !== oldStart) runtime.queue.push(closeAt(end), key, start);
      }
      aggregates.add(sessions, first + 2, value, ts);
      if (emitUpdates) update(out, key, sessions, first);
    },

    lateOnly(state, record, out) {
      const streamTime = state.streamTime;
      if (streamTime === null) return false;
      findReach(state.sessions[record.key], record.ts);
      if (reach.end >= streamTime - gap - grace) return false;
      out.late.push(lateRecord(record, reach.start, reach.end, streamTime));
      return true;
    },

    close(state, out, everything) {
      const queue = runtime.queue;
      const streamTime = state.streamTime ?? 0;
      while (queue.size > 0 && (everything || queue.nextCloseAt <= streamTime)) {
        const due = queue.nextCloseAt;
        const key = queue.nextKey;
        const start = queue.nextStart;
        queue.pop();
        const sessions = state.sessions[key];
        if (sessions === undefined) continue;
        let at = 0;
        while (at < sessions.length && (sessions[at] as number) < start) at += stride;
        // Stale entry: the session merged into another one or left the state, or it starts
        // earlier now and has an entry under its new start.
        if (at === sessions.length || sessions[at] !== start) continue;
        const end = sessions[at + 1] as number;
        if (closeAt(end) > due) {
          // The session grew since this entry was queued: queue it again at its current close time.
          queue.push(closeAt(end), key, start);
          continue;
        }
        if (!emitUpdates) update(out, key, sessions, at);
        if (sessions.length === stride) delete state.sessions[key];
        else sessions.splice(at, stride);
      }
    },
  };
}
