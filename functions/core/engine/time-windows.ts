import type { KeyedRecord } from '../types.js';
import { KeyOrder } from './key-order.js';
import type { Accumulators, TimeBucket, TimeWindowState } from './state.js';
import type { Emissions, StrategyContext, WindowStrategy } from './strategy.js';

/**
 * One key's accumulators in the open buckets, in a ring indexed by `(start / advance) % ring`:
 * a record finds all its windows with one map lookup, instead of one per window. `starts` tells
 * which bucket a ring entry belongs to (-1: none). Entries of closed buckets stay until
 * overwritten: no record can reach a closed window again (it would be late), and closing does
 * not touch the index. Keys that left every bucket are swept now and then (see close).
 */
interface KeyEntry {
  readonly starts: number[];
  readonly accs: (Accumulators | undefined)[];
}

/** In-memory lookups derived from a state (never serialized). */
interface Runtime {
  readonly index: Map<string, KeyEntry>;
  readonly order: KeyOrder;
}

// Shared by all engines: whichever continues a state finds its index up to date. (The ring size
// comes from the window spec, which a state must share with the engine given it.)
const runtimes = new WeakMap<TimeWindowState, Runtime>();

/**
 * Tumbling (advance = size) and hopping windows, as Kafka Streams' TimeWindows: half-open
 * `[start, start + size)`, starts multiples of `advance` from epoch 0, none negative; a window is
 * closed once `streamTime >= end + grace`, and a record for a closed window is late (per window:
 * a hopping record can be late for one window and on time for the next).
 *
 * State is one bucket per window start holding every key's accumulators: a record touches
 * `size / advance` buckets, found through its key's ring of accumulators, and closing drops whole
 * buckets.
 */
export function timeStrategy(
  size: number,
  advance: number,
  grace: number,
  { aggregates, emitUpdates }: StrategyContext,
): WindowStrategy<TimeWindowState> {
  // Open buckets start in (streamTime - size - grace, streamTime]: more ring entries than that
  // span holds starts, so two open buckets never share an entry. (A record that moves stream time
  // far ahead may take the entry of a bucket that is closed but not yet removed: it gets no
  // records any more, and its removal only counts it out of `live`.)
  let ring = 4;
  while (ring < Math.floor((size + grace) / advance) + 2) ring *= 2;
  // A power of two: the index is a mask of the window's number (start / advance, exact).
  const mask = ring - 1;
  const ringIndex = (start: number) => (start / advance) & mask;

  const entryFor = (index: Map<string, KeyEntry>, key: string): KeyEntry => {
    let entry = index.get(key);
    if (entry === undefined) {
      entry = { starts: new Array<number>(ring).fill(-1), accs: new Array(ring).fill(undefined) };
      index.set(key, entry);
    }
    return entry;
  };

  const indexOf = (buckets: readonly TimeBucket[]): Map<string, KeyEntry> => {
    const index = new Map<string, KeyEntry>();
    for (const bucket of buckets) {
      const at = ringIndex(bucket.start);
      const { keys, accumulators } = bucket;
      for (let i = 0; i < keys.length; i++) {
        const entry = entryFor(index, keys[i] as string);
        entry.starts[at] = bucket.start;
        entry.accs[at] = accumulators[i];
      }
    }
    return index;
  };

  const runtimeOf = (state: TimeWindowState): Runtime => {
    let found = runtimes.get(state);
    if (found === undefined) {
      found = { index: indexOf(state.buckets), order: new KeyOrder() };
      runtimes.set(state, found);
    }
    return found;
  };
  // Set by attach(), which the engine calls with the state before every add/close on it.
  let runtime: Runtime = { index: new Map(), order: new KeyOrder() };

  /** A new window for `key` in the bucket of `start` (created when missing). */
  const open = (state: TimeWindowState, entry: KeyEntry, at: number, start: number, key: string) => {
    const buckets = state.buckets;
    // Few buckets are open (size + grace over advance) and records mostly hit the newest.
    let i = buckets.length;
    let bucket: TimeBucket | undefined;
    while (i > 0) {
      const candidate = buckets[i - 1] as TimeBucket;
      if (candidate.start === start) {
        bucket = candidate;
        break;
      }
      if (candidate.start < start) break;
      i--;
    }
    if (bucket === undefined) {
      bucket = { start, keys: [], accumulators: [] };
      buckets.splice(i, 0, bucket);
    }
    const accs = aggregates.init();
    bucket.keys.push(key);
    bucket.accumulators.push(accs);
    entry.starts[at] = start;
    entry.accs[at] = accs;
    runtime.order.saw(key);
    return accs;
  };

  return {
    kind: 'time',
    attach: (state) => {
      runtime = runtimeOf(state);
    },
    create: (base) => {
      const state: TimeWindowState = { ...base, kind: 'time', buckets: [] };
      runtimes.set(state, { index: new Map(), order: new KeyOrder() });
      return state;
    },

    add(state, record: KeyedRecord, out: Emissions) {
      const { key, ts, value } = record;
      const streamTime = state.streamTime ?? ts;
      const lastStart = ts - (ts % advance);
      // The earliest window holding ts: the first multiple of advance after ts - size.
      const firstStart =
        advance === size ? lastStart : Math.max(0, Math.floor((ts - size) / advance) * advance + advance);
      let entry: KeyEntry | undefined;
      for (let start = firstStart; start <= lastStart; start += advance) {
        const end = start + size;
        if (streamTime >= end + grace) {
          out.late.push({
            key,
            ts,
            value,
            windowStart: start,
            windowEnd: end,
            streamTime,
            lateness: streamTime - ts,
          });
          continue;
        }
        if (entry === undefined) {
          entry = entryFor(runtime.index, key);
          // Several windows: the record's fields are read once, for all of them.
          if (firstStart !== lastStart) aggregates.load(value, ts);
        }
        const at = ringIndex(start);
        const accs =
          entry.starts[at] === start ? (entry.accs[at] as Accumulators) : open(state, entry, at, start, key);
        if (firstStart === lastStart) aggregates.add(accs, value, ts);
        else aggregates.addLoaded(accs);
        if (emitUpdates) {
          out.results.push({ key, windowStart: start, windowEnd: end, values: aggregates.result(accs) });
        }
      }
    },

    close(state, out, everything) {
      const buckets = state.buckets;
      const streamTime = state.streamTime ?? 0;
      let closed = 0;
      // Every bucket has the same size, so ascending start is ascending end.
      while (closed < buckets.length) {
        const bucket = buckets[closed] as TimeBucket;
        const end = bucket.start + size;
        if (!everything && streamTime < end + grace) break;
        const { keys, accumulators } = bucket;
        if (!emitUpdates) {
          for (const i of runtime.order.sortedPositions(keys, buckets)) {
            out.results.push({
              key: keys[i] as string,
              windowStart: bucket.start,
              windowEnd: end,
              values: aggregates.result(accumulators[i] as Accumulators),
            });
          }
        }
        closed++;
      }
      if (closed === 0) return;
      buckets.splice(0, closed);
      if (everything) {
        // Stream time stays where it was: a later record may open these windows again.
        runtime.index.clear();
        return;
      }
      // Sweep keys gone from every bucket once they outnumber the open windows (an ever-changing
      // key set would grow the index without bound otherwise).
      let open = 0;
      for (const bucket of buckets) open += bucket.keys.length;
      if (runtime.index.size > 2 * open + 1024)
        runtimes.set(state, (runtime = { ...runtime, index: indexOf(buckets) }));
    },
  };
}
