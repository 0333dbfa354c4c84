import type { KeyedRecord } from '../types.js';
import { KeyOrder } from './key-order.js';
import type { Accumulators, TimeBucket, TimeWindowState } from './state.js';
import type { Emissions, StrategyContext, WindowStrategy } from './strategy.js';

/** A bucket with its key -> position map. */
interface Slot {
  readonly bucket: TimeBucket;
  readonly positions: Map<string, number>;
}

/** In-memory lookups derived from a state (never serialized). */
interface Runtime {
  /** One per bucket, in the same (start) order as the state's buckets. */
  readonly slots: Slot[];
  readonly order: KeyOrder;
}

const runtimes = new WeakMap<TimeWindowState, Runtime>();

function runtimeOf(state: TimeWindowState): Runtime {
  let runtime = runtimes.get(state);
  if (runtime === undefined) {
    runtime = {
      slots: state.buckets.map((bucket) => ({
        bucket,
        positions: new Map(bucket.keys.map((k, i) => [k, i])),
      })),
      order: new KeyOrder(),
    };
    runtimes.set(state, runtime);
  }
  return runtime;
}

/**
 * Tumbling (advance = size) and hopping windows, as Kafka Streams' TimeWindows: half-open
 * `[start, start + size)`, starts multiples of `advance` from epoch 0, none negative; a window is
 * closed once `streamTime >= end + grace`, and a record for a closed window is late (per window:
 * a hopping record can be late for one window and on time for the next).
 *
 * State is one bucket per window start holding every key's accumulators: a record touches
 * `size / advance` buckets, found through a map by start, and closing drops whole buckets.
 */
export function timeStrategy(
  size: number,
  advance: number,
  grace: number,
  { aggregates, emitUpdates }: StrategyContext,
): WindowStrategy<TimeWindowState> {
  // Set by attach(), which the engine calls with the state before every add/close on it.
  let runtime: Runtime = { slots: [], order: new KeyOrder() };

  const accumulatorsFor = (state: TimeWindowState, start: number, key: string): Accumulators => {
    const slots = runtime.slots;
    // Few buckets are open (size + grace over advance) and records mostly hit the newest.
    let i = slots.length;
    let slot: Slot | undefined;
    while (i > 0) {
      const candidate = slots[i - 1] as Slot;
      if (candidate.bucket.start === start) {
        slot = candidate;
        break;
      }
      if (candidate.bucket.start < start) break;
      i--;
    }
    if (slot === undefined) {
      slot = { bucket: { start, keys: [], accumulators: [] }, positions: new Map() };
      slots.splice(i, 0, slot);
      state.buckets.splice(i, 0, slot.bucket);
    }
    const position = slot.positions.get(key);
    if (position !== undefined) return slot.bucket.accumulators[position] as Accumulators;
    const accs = aggregates.init();
    slot.positions.set(key, slot.bucket.keys.length);
    slot.bucket.keys.push(key);
    slot.bucket.accumulators.push(accs);
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
      runtimes.set(state, { slots: [], order: new KeyOrder() });
      return state;
    },

    add(state, record: KeyedRecord, out: Emissions) {
      const { key, ts, value } = record;
      const streamTime = state.streamTime ?? ts;
      const lastStart = ts - (ts % advance);
      // The earliest window holding ts: the first multiple of advance after ts - size.
      const firstStart =
        advance === size ? lastStart : Math.max(0, Math.floor((ts - size) / advance) * advance + advance);
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
        const accs = accumulatorsFor(state, start, key);
        aggregates.add(accs, value, ts);
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
        if (!emitUpdates) {
          const { keys, accumulators } = bucket;
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
      if (closed > 0) {
        buckets.splice(0, closed);
        runtime.slots.splice(0, closed);
      }
    },
  };
}
