import type { KeyedRecord } from '../types.js';
import type { TimeBucket, TimeWindowState } from './state.js';
import type { Emissions, StrategyContext, WindowStrategy } from './strategy.js';

/**
 * Tumbling (advance = size) and hopping windows, as Kafka Streams' TimeWindows: half-open
 * `[start, start + size)`, starts multiples of `advance` from epoch 0, none negative; a window is
 * closed once `streamTime >= end + grace`, and a record for a closed window is late (per window:
 * a hopping record can be late for one window and on time for the next).
 *
 * State is one bucket per window start holding every key's accumulators: a record touches
 * `size / advance` buckets found from the newest end, and closing drops whole buckets.
 */
export function timeStrategy(
  size: number,
  advance: number,
  grace: number,
  { aggregates, emitUpdates }: StrategyContext,
): WindowStrategy<TimeWindowState> {
  const bucketFor = (buckets: TimeBucket[], start: number): TimeBucket => {
    // Records mostly land in the newest buckets: search from the end.
    let i = buckets.length - 1;
    while (i >= 0) {
      const b = buckets[i] as TimeBucket;
      if (b.start === start) return b;
      if (b.start < start) break;
      i--;
    }
    const created: TimeBucket = { start, keys: Object.create(null) };
    buckets.splice(i + 1, 0, created);
    return created;
  };

  return {
    kind: 'time',
    create: (base) => ({ ...base, kind: 'time', buckets: [] }),

    add(state, record: KeyedRecord, out: Emissions) {
      const { key, ts, value } = record;
      const streamTime = state.streamTime ?? ts;
      const lastStart = ts - (ts % advance);
      // The earliest window holding ts: the first multiple of advance after ts - size.
      const firstStart = Math.max(0, Math.floor((ts - size) / advance) * advance + advance);
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
        const bucket = bucketFor(state.buckets, start);
        let accs = bucket.keys[key];
        if (accs === undefined) {
          accs = aggregates.init();
          bucket.keys[key] = accs;
        }
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
          for (const key of Object.keys(bucket.keys).sort()) {
            const accs = bucket.keys[key] ?? aggregates.init();
            out.results.push({
              key,
              windowStart: bucket.start,
              windowEnd: end,
              values: aggregates.result(accs),
            });
          }
        }
        closed++;
      }
      if (closed > 0) buckets.splice(0, closed);
    },
  };
}
