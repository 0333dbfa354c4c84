import { StateCorruptError } from '../errors.js';
import type { KeyedRecord } from '../types.js';
import { IdPositions } from './id-positions.js';
import { KeyTable } from './key-table.js';
import { type IndexedPane, PaneMerger } from './pane-merger.js';
import type { TimePane, TimeWindowState } from './state.js';
import { type Emissions, lateRecord, type StrategyContext, type WindowStrategy } from './strategy.js';

/** In-memory lookups derived from a state (never serialized). */
interface Runtime {
  readonly keys: KeyTable;
  /** One per pane, in the same (start) order as the state's panes. */
  readonly panes: IndexedPane[];
  /** Windows starting at or before this were emitted: closed at the stream time of the last close. */
  closedThrough: number;
  readonly merger: PaneMerger;
}

const runtimes = new WeakMap<TimeWindowState, Runtime>();

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/**
 * Tumbling (advance = size) and hopping windows, as Kafka Streams' TimeWindows: half-open
 * `[start, start + size)`, starts multiples of `advance` from epoch 0, none negative; a window is
 * closed once `streamTime >= end + grace`, and a record for a closed window is late (per window:
 * a hopping record can be late for one window and on time for the next).
 *
 * A record is aggregated once, into its pane (see TimePane), not into each of the `size / advance`
 * windows holding it; a window's panes are merged when it closes. A record late for every window
 * holding its pane is not aggregated. Windows close in start order, so a window's panes hold
 * exactly the records that were on time for it (a later record in a pane it shares with an open
 * window arrives after it was emitted). A pane leaves the state with the last window holding it.
 */
export function timeStrategy(
  size: number,
  advance: number,
  grace: number,
  { aggregates, emitUpdates }: StrategyContext,
): WindowStrategy<TimeWindowState> {
  const paneSize = greatestCommonDivisor(size, advance);
  const width = aggregates.width;
  /** Windows starting at or before this are closed at `streamTime`. */
  const closedAt = (streamTime: number) => streamTime - size - grace;
  /** The first window holding the pane starting at `paneStart`. */
  const firstWindowOf = (paneStart: number) =>
    Math.max(0, Math.ceil((paneStart + paneSize - size) / advance) * advance);

  /** The earliest window holding ts: the first multiple of advance after ts - size. */
  const firstStartOf = (ts: number, lastStart: number) =>
    advance === size ? lastStart : Math.max(0, Math.floor((ts - size) / advance) * advance + advance);
  /** Reports `record` late for each of its windows (first to last start) closed through `closedThrough`. */
  const reportClosed = (
    record: KeyedRecord,
    firstStart: number,
    lastStart: number,
    closedThrough: number,
    streamTime: number,
    out: Emissions,
  ) => {
    for (let start = firstStart; start <= lastStart && start <= closedThrough; start += advance) {
      out.late.push(lateRecord(record, start, start + size, streamTime));
    }
  };

  const index = (pane: TimePane, keys: KeyTable): IndexedPane => {
    if (pane.accumulators.length !== pane.keys.length * width) {
      throw new StateCorruptError(
        `pane ${pane.start} holds ${pane.accumulators.length} accumulator slots for ${pane.keys.length} keys (${width} each)`,
      );
    }
    const indexed: IndexedPane = { pane, ids: [], positions: new IdPositions(pane.keys.length) };
    for (const key of pane.keys) {
      const id = keys.idOf(key);
      indexed.positions.add(id, indexed.ids.length);
      indexed.ids.push(id);
    }
    return indexed;
  };
  const build = (state: TimeWindowState): Runtime => {
    const keys = new KeyTable();
    return {
      keys,
      panes: state.panes.map((pane) => index(pane, keys)),
      closedThrough: state.streamTime === null ? Number.NEGATIVE_INFINITY : closedAt(state.streamTime),
      merger: new PaneMerger(aggregates, keys),
    };
  };
  // Set by attach(), which the engine calls with the state before every add/close on it.
  let runtime = build({ panes: [], streamTime: null } as unknown as TimeWindowState);

  const paneAt = (state: TimeWindowState, start: number): IndexedPane => {
    const panes = runtime.panes;
    // Few panes are open and records mostly hit the newest.
    let i = panes.length;
    while (i > 0) {
      const candidate = panes[i - 1] as IndexedPane;
      if (candidate.pane.start === start) return candidate;
      if (candidate.pane.start < start) break;
      i--;
    }
    // Panes of a steady stream end up holding about as many keys as the fullest open one: the
    // newest is still filling (late records reach it), and growing the index later costs a rehash.
    let expected = 0;
    for (const open of panes) expected = Math.max(expected, open.ids.length);
    const created: IndexedPane = {
      pane: { start, keys: [], accumulators: [] },
      ids: [],
      positions: new IdPositions(expected),
    };
    panes.splice(i, 0, created);
    state.panes.splice(i, 0, created.pane);
    return created;
  };

  /** Panes `[first, last)` are those of the window starting at `start`: the first at or after it. */
  const panesFrom = (start: number): number => {
    const panes = runtime.panes;
    let i = panes.length;
    while (i > 0 && (panes[i - 1] as IndexedPane).pane.start >= start) i--;
    return i;
  };
  const panesUntil = (from: number, start: number): number => {
    const panes = runtime.panes;
    let j = from;
    while (j < panes.length && (panes[j] as IndexedPane).pane.start < start + size) j++;
    return j;
  };

  return {
    kind: 'time',
    attach: (state) => {
      let found = runtimes.get(state);
      if (found === undefined) {
        found = build(state);
        runtimes.set(state, found);
      }
      runtime = found;
    },
    create: (base) => {
      const state: TimeWindowState = { ...base, kind: 'time', panes: [] };
      runtimes.set(state, build(state));
      return state;
    },

    add(state, record: KeyedRecord, out: Emissions) {
      const { key, ts, value } = record;
      const streamTime = state.streamTime ?? ts;
      const closedThrough = closedAt(streamTime);
      const lastStart = ts - (ts % advance);
      // The earliest window holding ts: the first multiple of advance after ts - size. Inline, as
      // the loop below, rather than lateOnly's helpers: add runs for every record, and the calls
      // measured about 5% of tumbling's ratio in `npm run bench`.
      const firstStart =
        advance === size ? lastStart : Math.max(0, Math.floor((ts - size) / advance) * advance + advance);
      for (let start = firstStart; start <= lastStart && start <= closedThrough; start += advance) {
        out.late.push(lateRecord(record, start, start + size, streamTime));
      }
      if (lastStart <= closedThrough) return;

      const id = runtime.keys.idOf(key);
      const indexed = paneAt(state, ts - (ts % paneSize));
      let position = indexed.positions.get(id);
      if (position < 0) {
        position = indexed.ids.length;
        indexed.positions.add(id, position);
        indexed.ids.push(id);
        indexed.pane.keys.push(key);
        aggregates.append(indexed.pane.accumulators);
      }
      aggregates.add(indexed.pane.accumulators, position * width, value, ts);
      if (!emitUpdates) return;
      for (let start = firstStart; start <= lastStart; start += advance) {
        if (start <= closedThrough) continue;
        const first = panesFrom(start);
        const values = runtime.merger.keyValues(runtime.panes, first, panesUntil(first, start), id);
        out.results.push({ key, windowStart: start, windowEnd: start + size, values });
      }
    },

    lateOnly(state, record, out) {
      const streamTime = state.streamTime;
      if (streamTime === null) return false;
      const { ts } = record;
      const lastStart = ts - (ts % advance);
      const closedThrough = closedAt(streamTime);
      if (lastStart > closedThrough) return false;
      reportClosed(record, firstStartOf(ts, lastStart), lastStart, closedThrough, streamTime, out);
      return true;
    },

    close(state, out, everything) {
      const panes = runtime.panes;
      const closing =
        everything || state.streamTime === null ? Number.POSITIVE_INFINITY : closedAt(state.streamTime);
      if (!emitUpdates) {
        // Windows emitted before are skipped, and so are the gaps without panes.
        let start = Math.floor(runtime.closedThrough / advance) * advance + advance;
        let i = 0;
        while (i < panes.length) {
          const paneStart = (panes[i] as IndexedPane).pane.start;
          start = Math.max(start, firstWindowOf(paneStart));
          if (start > closing) break;
          if (start > paneStart) {
            i++;
            continue;
          }
          runtime.merger.emitWindow(panes, i, panesUntil(i, start), start, start + size, out.results);
          start += advance;
          while (i < panes.length && (panes[i] as IndexedPane).pane.start < start) i++;
        }
      }
      // A pane goes with the last window holding it, the one starting at or just before it.
      let done = 0;
      while (done < panes.length) {
        const paneStart = (panes[done] as IndexedPane).pane.start;
        if (paneStart - (paneStart % advance) > closing) break;
        done++;
      }
      if (done > 0) {
        panes.splice(0, done);
        state.panes.splice(0, done);
      }
      if (!everything && state.streamTime !== null) runtime.closedThrough = closing;
      // Ids of keys gone from every pane are not reused: index afresh once they outnumber the live ones.
      let entries = 0;
      for (const pane of state.panes) entries += pane.keys.length;
      if (runtime.keys.size > 2 * entries + 1024) {
        runtime = build(state);
        runtimes.set(state, runtime);
      }
    },
  };
}
