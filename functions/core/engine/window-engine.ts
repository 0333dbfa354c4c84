import { InvalidRecordError, StateCorruptError } from '../errors.js';
import type {
  AggregateFunction,
  EmitMode,
  KeyedRecord,
  LateRecord,
  WindowResult,
  WindowSpec,
} from '../types.js';
import { validateWindowSpec } from '../window-spec.js';
import { createAggregates } from './aggregates.js';
import { sessionStrategy } from './session-windows.js';
import { slidingStrategy } from './sliding-windows.js';
import { type EngineState, STATE_VERSION } from './state.js';
import { stateFit } from './state-fit.js';
import type { Emissions, StrategyContext, WindowStrategy } from './strategy.js';
import { timeStrategy } from './time-windows.js';

/** What an engine is built from: the window, the named aggregations and the emit mode. */
export interface WindowEngineOptions {
  readonly window: WindowSpec;
  // biome-ignore lint/suspicious/noExplicitAny: accumulators are opaque JSON to the engine
  readonly aggregations: Readonly<Record<string, AggregateFunction<any, any, any>>>;
  /** @default 'final' */
  readonly emit?: EmitMode;
}

/** What processing a batch (or advancing time) produced. */
export interface ProcessOutput {
  /**
   * The state to pass to the next call: the same object, updated (a fresh one when the given state
   * was a drained one of another window or aggregations).
   */
  readonly state: EngineState;
  /** Window results in emission order. */
  readonly results: WindowResult[];
  /** Late records, one per window each record missed, in arrival order. */
  readonly late: LateRecord[];
}

/**
 * Event-time windowed aggregation for one partition (shard): one stream time for all keys.
 * Deterministic: the same records give the same output whichever way they are split into
 * batches, when each batch continues from the state (or its encoded checkpoint) the last one returned.
 */
export interface WindowEngine {
  readonly window: WindowSpec;
  readonly emit: EmitMode;
  /** An empty state for this engine. */
  initialState(): EngineState;
  /** Aggregates a batch, advancing stream time per record and closing windows as it passes them. */
  process(state: EngineState | undefined, records: readonly KeyedRecord[]): ProcessOutput;
  /**
   * Advances stream time without records (a scheduled flush for a quiet shard), closing what it
   * passes. Never moves stream time back.
   */
  advanceTo(state: EngineState | undefined, streamTime: number): ProcessOutput;
  /** Closes every open window (end of input), in emission order. Stream time stays where it was. */
  flush(state: EngineState | undefined): Omit<ProcessOutput, 'late'>;
  /**
   * Takes out the records that every window they belong to is closed for at the state's stream
   * time: processing one of them would report it late and change nothing else. Gives their late
   * records and the other records (`rest`), in order, and leaves the state as it was. A key's
   * records leave in order: after one that stays, the key's later records stay too (a session it
   * opens may reach them). So processing the list in order would give the same state and results
   * as processing `rest` alone, and the same late records but for their `streamTime` and
   * `lateness` (taken at the state's stream time, where records before them could have moved it
   * on). A redriven record applied this way cannot change results a failed batch already sent.
   */
  takeLate(
    state: EngineState | undefined,
    records: readonly KeyedRecord[],
  ): { readonly late: LateRecord[]; readonly rest: KeyedRecord[] };
}

function strategyFor(window: WindowSpec, context: StrategyContext): WindowStrategy {
  switch (window.type) {
    case 'tumbling':
      return timeStrategy(window.sizeMs, window.sizeMs, window.graceMs, context) as WindowStrategy;
    case 'hopping':
      return timeStrategy(window.sizeMs, window.advanceMs, window.graceMs, context) as WindowStrategy;
    case 'session':
      return sessionStrategy(window.gapMs, window.graceMs, context) as WindowStrategy;
    case 'sliding':
      return slidingStrategy(window.timeDifferenceMs, window.graceMs, context) as WindowStrategy;
  }
}

function isTimestamp(ts: unknown): ts is number {
  return typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0;
}

/** Throws InvalidRecordError, naming the first, unless every record has a string key and a timestamp. */
function checkRecords(records: readonly KeyedRecord[]): void {
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as KeyedRecord;
    if (typeof record.key !== 'string') {
      throw new InvalidRecordError(
        `record ${i}: key must be a string (given ${JSON.stringify(record.key)})`,
        i,
      );
    }
    if (!isTimestamp(record.ts)) {
      throw new InvalidRecordError(
        `record ${i} (key ${JSON.stringify(record.key)}): ts must be a whole number of epoch ms >= 0 (given ${JSON.stringify(record.ts)})`,
        i,
      );
    }
  }
}

/** Builds an engine; throws InvalidSpecError for a window spec that cannot work. */
export function createWindowEngine(options: WindowEngineOptions): WindowEngine {
  const window = validateWindowSpec(options.window);
  const emit = options.emit ?? 'final';
  const aggregates = createAggregates(options.aggregations);
  const strategy = strategyFor(window, { aggregates, emitUpdates: emit === 'updates' });

  const initialState = (): EngineState =>
    strategy.create({ v: STATE_VERSION, window, aggregations: aggregates.signature, streamTime: null });

  const check = (state: EngineState | undefined): EngineState => {
    if (state === undefined) {
      const fresh = initialState();
      strategy.attach?.(fresh);
      return fresh;
    }
    const fit = stateFit(state, { window, aggregations: aggregates.signature });
    // A pipeline whose window or aggregations changed (a deploy) continues from a drained state,
    // at its stream time.
    if (fit === 'drained') {
      // Created at that stream time: a time-window runtime takes what it has closed from it.
      const fresh = strategy.create({
        v: STATE_VERSION,
        window,
        aggregations: aggregates.signature,
        streamTime: state.streamTime,
      });
      strategy.attach?.(fresh);
      return fresh;
    }
    if (fit !== 'same') throw new StateCorruptError(fit.refused);
    // A signature of bare names (an older checkpoint) takes the kinds, so states merge later.
    if (state.aggregations !== aggregates.signature) {
      (state as { aggregations: readonly string[] }).aggregations = aggregates.signature;
    }
    strategy.attach?.(state);
    return state;
  };

  return {
    window,
    emit,
    initialState,
    process(given, records) {
      const state = check(given);
      // Checked before anything is applied: the state is updated in place, and a batch refused
      // halfway would leave it holding part of the batch.
      checkRecords(records);
      const out: Emissions = { results: [], late: [] };
      for (let i = 0; i < records.length; i++) {
        const record = records[i] as KeyedRecord;
        const advanced = state.streamTime === null || record.ts > state.streamTime;
        if (advanced) state.streamTime = record.ts;
        strategy.add(state, record, out);
        // Only a record that moves stream time can close windows.
        if (advanced) strategy.close(state, out, false);
      }
      return { state, results: out.results, late: out.late };
    },
    advanceTo(given, streamTime) {
      const state = check(given);
      if (!isTimestamp(streamTime)) {
        throw new InvalidRecordError(
          `advanceTo: stream time must be a whole number >= 0 (given ${streamTime})`,
          0,
        );
      }
      const out: Emissions = { results: [], late: [] };
      if (state.streamTime === null || streamTime > state.streamTime) {
        state.streamTime = streamTime;
        strategy.close(state, out, false);
      }
      return { state, results: out.results, late: out.late };
    },
    takeLate(given, records) {
      checkRecords(records);
      const out: Emissions = { results: [], late: [] };
      const rest: KeyedRecord[] = [];
      // A state of another definition, drained, is not changed either: a fresh one is asked.
      const state = check(given);
      const staying = new Set<string>();
      for (const record of records) {
        if (staying.has(record.key) || !strategy.lateOnly(state, record, out)) {
          rest.push(record);
          staying.add(record.key);
        }
      }
      return { late: out.late, rest };
    },
    flush(given) {
      const state = check(given);
      const out: Emissions = { results: [], late: [] };
      strategy.close(state, out, true);
      return { state, results: out.results };
    },
  };
}
