import {
  compileSpecAggregations,
  createWindowEngine,
  type EmitMode,
  type EngineState,
  type KeyedRecord,
  type LateRecord,
  type WindowResult,
  type WindowSpec,
} from '../../../functions/core/index.js';

/** A record of key `key` at `ts` carrying the number `value`. */
export const rec = (key: string, ts: number, value = 1): KeyedRecord => ({ key, ts, value });

/**
 * count and sum of the values: the aggregations most scenarios check. Numeric built-ins only, the
 * engine fuses them; `generic` adds `last` so each aggregation keeps its own accumulator instead.
 */
export const countAndSum = (generic = false) =>
  compileSpecAggregations(
    generic
      ? { n: { fn: 'count' }, sum: { fn: 'sum' }, last: { fn: 'last' } }
      : { n: { fn: 'count' }, sum: { fn: 'sum' } },
  );

export interface Run {
  readonly results: WindowResult[];
  readonly late: LateRecord[];
  readonly state: EngineState;
}

/** Processes `records` in one batch (then flushes when asked), collecting everything emitted. */
export function run(
  window: WindowSpec,
  records: readonly KeyedRecord[],
  options: { emit?: EmitMode; flush?: boolean } = {},
): Run {
  const engine = createWindowEngine({ window, aggregations: countAndSum(), emit: options.emit });
  const out = engine.process(undefined, records);
  if (!options.flush) return out;
  const flushed = engine.flush(out.state);
  return { results: [...out.results, ...flushed.results], late: out.late, state: flushed.state };
}

/** `key [start,end) n=count` lines: results compared at a glance. */
export const brief = (results: readonly WindowResult[]) =>
  results.map(
    (r) => `${r.key} ${r.windowStart}-${r.windowEnd} ${r.values === null ? 'retract' : `n=${r.values.n}`}`,
  );

/** `key ts window` lines for late records. */
export const briefLate = (late: readonly LateRecord[]) =>
  late.map((l) => `${l.key} ${l.ts} ${l.windowStart}-${l.windowEnd} st=${l.streamTime}`);
