import type { AggregationSpec } from '../../functions/core/pipeline.js';
import type { ExpectedWindow, GroundTruth, ReferenceRecord } from './ground-truth.js';
import { computeValues, type HeldRecord } from './reference-aggregates.js';

/** A record later than the grace: the sliding reference model does not cover it. */
export class SlidingLatenessError extends RangeError {
  override readonly name = 'SlidingLatenessError';
}

interface SlidingWindow {
  readonly start: number;
  emitted: boolean;
}

/**
 * Kafka Streams' SlidingWindows by definition, for inputs where no record is later than the
 * grace (lateness = stream time - ts <= grace on arrival): then no window a record belongs to has
 * closed, and the windows are a function of the record set alone. Windows are `[start, start +
 * td]`, both bounds inclusive: each record's left window `[ts - td, ts]` (`[0, td]` for records
 * before td, which share it), and each record's right window `[ts + 1, ts + 1 + td]` when some
 * record falls in it. A window's value is the aggregate of every record inside; it is emitted
 * once its end is before `streamTime - grace`. Late records (which Kafka Streams applies to some
 * windows and not others) are out of scope: the model throws {@link SlidingLatenessError}.
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

  for (const record of records) {
    const { partition, key, ts } = record;
    const now = Math.max(streamTime[partition] ?? Number.NEGATIVE_INFINITY, ts);
    streamTime[partition] = now;
    if (now - ts > graceMs) {
      throw new SlidingLatenessError(
        `the sliding reference model needs every record within grace: ts ${ts} arrived at stream time ${now} (grace ${graceMs})`,
      );
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
  return { results, late: [], streamTime };
}
