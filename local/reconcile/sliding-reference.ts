import type { AggregationSpec } from '../../functions/core/pipeline.js';
import type {
  ExpectedLate,
  ExpectedWindow,
  GroundTruth,
  ReferenceRecord,
  UncheckedRecord,
} from './ground-truth.js';
import { computeValues, type HeldRecord } from './reference-aggregates.js';

interface SlidingWindow {
  readonly start: number;
  emitted: boolean;
}

/**
 * Kafka Streams' SlidingWindows by definition. Windows are `[start, start + td]`, both bounds
 * inclusive: each record's left window `[ts - td, ts]` (`[0, td]` for records before td, which
 * share it), and each record's right window `[ts + 1, ts + 1 + td]` when some record falls in it.
 * A window's value is the aggregate of every record inside; it is emitted once its end is before
 * `streamTime - grace`. That holds while no record is later than the grace (lateness = stream time
 * - ts on arrival), and the windows are then a function of the record set alone. Of the others:
 * - a record later than every window it could belong to (its right window's end at or before
 *   `streamTime - grace`) is dropped before any window, as Kafka Streams does: late once, with its
 *   left window;
 * - a record later than the grace with some of its windows still open is applied by Kafka Streams
 *   to some of them and not others, depending on which windows exist when it arrives. The model
 *   leaves it out and lists it as `unchecked`: the windows of its key from its time on are not comparable, the
 *   others are (see {@link touchesUnchecked}).
 */
export function computeSlidingGroundTruth<E>(
  records: Iterable<ReferenceRecord<E>>,
  timeDifferenceMs: number,
  graceMs: number,
  aggregations: Readonly<Record<string, AggregationSpec<E>>>,
  flush: boolean,
): GroundTruth<E> {
  const td = timeDifferenceMs;
  const results: ExpectedWindow[] = [];
  const streamTime: Record<string, number> = {};
  // partition -> key -> records and windows (by start)
  const held = new Map<
    string,
    Map<string, { records: HeldRecord<E>[]; windows: Map<number, SlidingWindow> }>
  >();
  let seq = 0;

  const emit = (
    partition: string,
    key: string,
    state: { records: HeldRecord<E>[] },
    windows: SlidingWindow[],
  ) => {
    windows.sort((a, b) => a.start - b.start);
    for (const w of windows) {
      w.emitted = true;
      const inside = state.records.filter((r) => r.ts >= w.start && r.ts <= w.start + td);
      results.push({
        partition,
        key,
        windowStart: w.start,
        windowEnd: w.start + td,
        values: computeValues(aggregations, inside),
      });
    }
  };

  const late: ExpectedLate<E>[] = [];
  const unchecked: UncheckedRecord[] = [];
  for (const record of records) {
    const { partition, key, ts } = record;
    const now = Math.max(streamTime[partition] ?? Number.NEGATIVE_INFINITY, ts);
    streamTime[partition] = now;
    if (ts + 1 + td <= now - graceMs) {
      const windowStart = Math.max(0, ts - td);
      late.push({
        partition,
        key,
        ts,
        value: record.value,
        windowStart,
        windowEnd: windowStart + td,
        streamTime: now,
      });
      continue;
    }
    // Late records never move stream time, so leaving one out changes no other record's fate.
    if (now - ts > graceMs) {
      unchecked.push({ partition, key, ts, streamTime: now });
      continue;
    }
    let keys = held.get(partition);
    if (keys === undefined) {
      keys = new Map();
      held.set(partition, keys);
    }
    let state = keys.get(key);
    if (state === undefined) {
      state = { records: [], windows: new Map() };
      keys.set(key, state);
    }
    const add = (start: number) => {
      if (!state.windows.has(start)) state.windows.set(start, { start, emitted: false });
    };
    add(ts < td ? 0 : ts - td);
    for (const other of state.records) {
      // This record's right window holds a later record; an earlier record's right window holds this one.
      if (other.ts > ts && other.ts <= ts + 1 + td) add(ts + 1);
      if (other.ts < ts && ts <= other.ts + 1 + td) add(other.ts + 1);
    }
    state.records.push({ value: record.value, ts, seq: seq++ });
    // Every key of the partition shares its stream time.
    for (const [k, s] of keys) {
      const closed = [...s.windows.values()].filter((w) => !w.emitted && w.start + td < now - graceMs);
      emit(partition, k, s, closed);
    }
  }
  if (flush) {
    for (const [partition, keys] of held) {
      for (const [key, state] of keys)
        emit(
          partition,
          key,
          state,
          [...state.windows.values()].filter((w) => !w.emitted),
        );
    }
  }
  return { results, late, unchecked, streamTime };
}

/** Whether a late line (one per window missed) is an unchecked record's. */
export function isUncheckedLate(
  unchecked: readonly UncheckedRecord[],
  late: {
    readonly partition: string;
    readonly key: string;
    readonly ts: number;
    readonly streamTime: number;
  },
): boolean {
  return unchecked.some(
    (u) =>
      u.partition === late.partition &&
      u.key === late.key &&
      u.ts === late.ts &&
      u.streamTime === late.streamTime,
  );
}

/**
 * Whether a sliding window is one an unchecked record may have changed or created: any window of
 * the record's key and partition that ends at or after its time. Not only those that hold it: Kafka
 * Streams builds a new record's left window from the right window of the record before it, and
 * when that one holds a partly late record, so does the new window (engine and Kafka Streams alike:
 * c@30, c@31 late at stream time 32 with grace 0, c@34, c@37, td 4 give [33, 37] a count of 3).
 * Windows that end before it hold only earlier records, and are built from windows that do.
 */
export function touchesUnchecked(
  unchecked: readonly UncheckedRecord[],
  window: { readonly partition: string; readonly key: string; readonly windowEnd: number },
): boolean {
  return unchecked.some(
    (u) => u.partition === window.partition && u.key === window.key && window.windowEnd >= u.ts,
  );
}
