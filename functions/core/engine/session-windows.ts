import { StateCorruptError } from '../errors.js';
import type { KeyedRecord } from '../types.js';
import { CloseQueue } from './close-queue.js';
import type { SessionEntry, SessionState } from './state.js';
import { type Emissions, lateRecord, type StrategyContext, type WindowStrategy } from './strategy.js';

/**
 * In-memory lookups derived from a state (never serialized): the close queue. Derived from the
 * state alone (gap and grace are part of its window spec), so any session engine may continue any
 * state. A key's sessions are looked up in the state's own dictionary object: with 10,000 keys
 * the lookups miss the cache, and its entries sit in the hash table itself, where a Map's are
 * behind a bucket array (measured about 10% faster than a Map beside it).
 */
interface Runtime {
  readonly queue: CloseQueue<SessionEntry>;
}

const runtimes = new WeakMap<SessionState, Runtime>();

const emptyRuntime = (): Runtime => ({ queue: new CloseQueue<SessionEntry>() });

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
  /** Where a session's accumulators start in its entry, after its start and end. */
  const ACCUMULATORS = 2;
  /**
   * The start given to a session entry that left the state, merged or closed, so that the close
   * queue, which holds entries themselves (no lookup per close time that comes up), skips it.
   */
  const GONE = -1;

  const runtimeOf = (state: SessionState): Runtime => {
    let found = runtimes.get(state);
    if (found === undefined) {
      found = emptyRuntime();
      // Keys are looked up in it directly: "constructor" or "__proto__" must not find Object's.
      if (Object.getPrototypeOf(state.sessions) !== null) Object.setPrototypeOf(state.sessions, null);
      for (const key of Object.keys(state.sessions)) {
        const list = state.sessions[key] ?? [];
        for (const session of list) {
          if (session.length !== ACCUMULATORS + aggregates.width) {
            throw new StateCorruptError(
              `session ${JSON.stringify(session.slice(0, 2))} of key ${JSON.stringify(key)} holds ${session.length - ACCUMULATORS} accumulator slots, not ${aggregates.width}`,
            );
          }
          found.queue.push(closeAt(session[1]), key, session[0], session);
        }
      }
      runtimes.set(state, found);
    }
    return found;
  };
  // Set by attach(), which the engine calls with the state before every add/close on it.
  let runtime: Runtime = emptyRuntime();

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
      let list = state.sessions[key];
      // A key's sessions are disjoint and more than `gap` apart, so those within reach of ts
      // form one run of the list sorted by start.
      let first = list?.length ?? 0;
      let count = 0;
      let start = ts;
      let end = ts;
      if (list !== undefined) {
        for (let i = 0; i < list.length; i++) {
          const s = list[i] as SessionEntry;
          if (s[0] > ts + gap) {
            if (count === 0) first = i;
            break;
          }
          if (s[1] >= ts - gap) {
            if (count === 0) first = i;
            count++;
            if (s[0] < start) start = s[0];
            if (s[1] > end) end = s[1];
          }
        }
      }
      if (end < streamTime - gap - grace) {
        out.late.push(lateRecord(record, start, end, streamTime));
        return;
      }
      if (list === undefined) {
        list = [];
        state.sessions[key] = list;
      }
      const only = count === 1 ? (list[first] as SessionEntry) : undefined;
      if (only !== undefined && only[0] === start && only[1] === end) {
        // Inside an existing session: same window, updated in place.
        aggregates.add(only, ACCUMULATORS, value, ts);
        if (emitUpdates) {
          out.results.push({
            key,
            windowStart: start,
            windowEnd: end,
            values: aggregates.result(only, ACCUMULATORS),
          });
        }
        return;
      }
      if (only !== undefined) {
        // One session grows: updated in place. Its queue entry holds its start, so only a new
        // start needs a new entry; a later end is caught when the old entry comes up (close()).
        const oldStart = only[0];
        const oldEnd = only[1];
        aggregates.add(only, ACCUMULATORS, value, ts);
        only[0] = start;
        only[1] = end;
        if (start !== oldStart) runtime.queue.push(closeAt(end), key, start, only);
        if (emitUpdates) {
          out.results.push({ key, windowStart: oldStart, windowEnd: oldEnd, values: null });
          out.results.push({
            key,
            windowStart: start,
            windowEnd: end,
            values: aggregates.result(only, ACCUMULATORS),
          });
        }
        return;
      }
      const merged: SessionEntry = [start, end];
      aggregates.append(merged);
      for (let i = first; i < first + count; i++) {
        aggregates.merge(merged, ACCUMULATORS, list[i] as SessionEntry, ACCUMULATORS);
      }
      aggregates.add(merged, ACCUMULATORS, value, ts);
      const removed = list.splice(first, count, merged);
      runtime.queue.push(closeAt(end), key, start, merged);
      if (emitUpdates) {
        for (const old of removed)
          out.results.push({ key, windowStart: old[0], windowEnd: old[1], values: null });
        out.results.push({
          key,
          windowStart: start,
          windowEnd: end,
          values: aggregates.result(merged, ACCUMULATORS),
        });
      }
      for (const old of removed) old[0] = GONE;
    },

    close(state, out, everything) {
      const queue = runtime.queue;
      const streamTime = state.streamTime ?? 0;
      while (queue.size > 0 && (everything || queue.nextCloseAt <= streamTime)) {
        const at = queue.nextCloseAt;
        const key = queue.nextKey;
        const start = queue.nextStart;
        const session = queue.nextPayload;
        queue.pop();
        // Stale entry: the session merged into another one or left the state (both marked GONE),
        // or it starts earlier now and has an entry under its new start.
        if (session[0] !== start) continue;
        const due = closeAt(session[1]);
        if (due > at) {
          // The session grew since this entry was queued: queue it again at its current close time.
          queue.push(due, key, start, session);
          continue;
        }
        session[0] = GONE;
        const list = state.sessions[key] as SessionEntry[];
        list.splice(list.indexOf(session), 1);
        if (list.length === 0) {
          delete state.sessions[key];
        }
        if (!emitUpdates) {
          out.results.push({
            key,
            windowStart: start,
            windowEnd: session[1],
            values: aggregates.result(session, ACCUMULATORS),
          });
        }
      }
    },
  };
}
