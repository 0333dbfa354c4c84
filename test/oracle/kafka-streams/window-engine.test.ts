import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createWindowEngine,
  decodeState,
  type EmitMode,
  type EngineState,
  encodeState,
  type KeyedRecord,
  type WindowSpec,
} from '../../../functions/core/index.js';
import { compileSpecAggregations } from '../../../functions/core/spec-aggregations.js';
import {
  type KafkaStreamsEmit,
  KafkaStreamsOracle,
  type OracleAnswer,
  type OracleCase,
  type ResultLine,
} from './oracle.js';

/**
 * The windowing engine against Kafka Streams itself (3.9, in a TopologyTestDriver): random
 * disordered input, every window type, both emission modes. After every input record both must have
 * emitted the same results (final: the same closed windows with the same values; updates: the same
 * updates and retractions) and dropped the same late records (Kafka Streams counts one per window a
 * record missed, as the engine's late records do; see `drops` for sliding windows).
 */

const aggregations = {
  n: { fn: 'count' },
  total: { fn: 'sum' },
  low: { fn: 'min' },
  high: { fn: 'max' },
  mean: { fn: 'avg' },
} as const;

const ms = (max: number, min = 0) => fc.integer({ min, max });

const windows: Record<WindowSpec['type'], fc.Arbitrary<WindowSpec>> = {
  tumbling: fc.record({ type: fc.constant('tumbling'), sizeMs: ms(20, 1), graceMs: ms(10) }),
  hopping: fc
    .record({ sizeMs: ms(20, 1), advance: ms(20, 1), graceMs: ms(10) })
    .map(({ sizeMs, advance, graceMs }) => ({
      type: 'hopping',
      sizeMs,
      advanceMs: Math.min(advance, sizeMs),
      graceMs,
    })),
  sliding: fc.record({ type: fc.constant('sliding'), timeDifferenceMs: ms(15, 1), graceMs: ms(10) }),
  session: fc.record({ type: fc.constant('session'), gapMs: ms(10, 1), graceMs: ms(10) }),
};

/** Arrivals whose event times trail a growing clock by up to 25 ms: late records happen. */
const records = fc
  .record({
    start: ms(30),
    items: fc.array(
      fc.record({
        key: fc.constantFrom('a', 'b'),
        step: ms(6),
        lag: ms(25),
        value: fc.integer({ min: -5, max: 5 }),
      }),
      { minLength: 1, maxLength: 25 },
    ),
  })
  .map(({ start, items }) => {
    let clock = start;
    return items.map(({ key, step, lag, value }): KeyedRecord<number> => {
      clock += step;
      return { key, ts: Math.max(0, clock - lag), value };
    });
  });

/**
 * The engine, one record at a time, as `tributary window` runs it. Every other record its state
 * goes through the codec (bytes, then JSON), as the aggregator's checkpoints between batches do: a
 * restored state rebuilds its lookups (close queues, indexes) from the data alone.
 */
function tributary(c: OracleCase, emit: EmitMode): OracleAnswer {
  const engine = createWindowEngine({
    window: c.spec.window,
    aggregations: compileSpecAggregations(c.spec.aggregations),
    emit,
  });
  let state: EngineState | undefined;
  const answer: OracleAnswer = { steps: [], dropped: [] };
  for (const [i, record] of c.records.entries()) {
    const out = engine.process(state, [record]);
    state = out.state;
    if (i % 4 === 1) state = decodeState(encodeState(state, 'bytes'));
    if (i % 4 === 3) state = decodeState(encodeState(state, 'json'));
    answer.steps.push(
      out.results.map(({ key, windowStart, windowEnd, values }) => ({
        key,
        windowStart,
        windowEnd,
        values: values as ResultLine['values'],
      })),
    );
    answer.dropped.push(out.late.length);
  }
  return answer;
}

const windowId = (r: ResultLine) => `${r.key} [${r.windowStart},${r.windowEnd}]`;
/** Values to 12 significant digits: Java and JavaScript may round an average's last bit apart. */
const rounded = (values: ResultLine['values']) =>
  values === null
    ? null
    : Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v.toPrecision(12))]));

const line = (r: ResultLine) => `${windowId(r)} ${JSON.stringify(rounded(r.values))}`;

/**
 * What each step emitted, as sorted lines (the order within one step is not compared): every
 * result, every update and every retraction must match, none may be missing or extra.
 */
const emittedPerStep = (a: OracleAnswer) => a.steps.map((step) => step.map(line).sort());

/**
 * The same, after dropping a tombstone that the same step follows with a new value for the same
 * window. Kafka Streams' session store replaces a session by removing it and putting it again,
 * even when the record leaves its bounds as they were: it sends a tombstone, then the new value.
 * The engine sends the new value alone; it retracts only a session that goes (merged, or moved).
 */
const withoutReplacedTombstones = (a: OracleAnswer): OracleAnswer => ({
  ...a,
  steps: a.steps.map((step) =>
    step.filter(
      (r, i) =>
        r.values !== null ||
        !step.slice(i + 1).some((later) => later.values !== null && windowId(later) === windowId(r)),
    ),
  ),
});

let oracle: KafkaStreamsOracle;
beforeAll(async () => {
  oracle = await KafkaStreamsOracle.start();
});
afterAll(async () => {
  await oracle?.close();
});

const numRuns = Number(process.env.TRIBUTARY_ORACLE_RUNS ?? 200);

/**
 * The stores' retention. Kafka Streams' minimum (size + grace, or gap + grace) lets a store drop what
 * its processor still accepts: a session ending exactly at the close time is aggregated, then
 * expired by the store at once (so the next record cannot join it, and the drop is counted), and
 * onWindowClose finds a closed window already expired when one record both closes it and moves
 * stream time past the retention. A longer retention changes no result otherwise: late records
 * are decided by the windows' grace, not the store's. Sessions get exactly one millisecond more,
 * so the store keeps every session that is not late and none that is (a session kept longer could
 * be merged into after it closed).
 */
const retention = (w: WindowSpec) => (w.type === 'session' ? w.gapMs + w.graceMs + 1 : 86_400_000);

/**
 * Late records, compared per step. Kafka Streams counts a drop per window it could not update. Its
 * sliding windows can try one closed window twice for one record (the previous record's right
 * window and the new record's left window coincide when they are timeDifference + 1 apart), and
 * count two drops where the engine reports the window once; so for sliding windows only "dropped
 * somewhere" is compared. The other types' counts are exact.
 */
const drops = (type: WindowSpec['type'], a: OracleAnswer) =>
  type === 'sliding' ? a.dropped.map((n) => n > 0) : a.dropped;

/**
 * Each emission mode and the Kafka Streams emission it must match. `final` is onWindowClose: a
 * window is emitted once stream time passes its close time. Suppression (untilWindowCloses) emits
 * the same for tumbling and hopping windows; for sessions and sliding windows, whose ends are
 * inclusive, it emits one millisecond of stream time earlier, when a record can still join the
 * window (and would make it emit twice), so the engine follows onWindowClose there.
 */
const modes: Record<WindowSpec['type'], [EmitMode, KafkaStreamsEmit][]> = {
  tumbling: [
    ['final', 'onWindowClose'],
    ['final', 'suppress'],
    ['updates', 'onWindowUpdate'],
  ],
  hopping: [
    ['final', 'onWindowClose'],
    ['final', 'suppress'],
    ['updates', 'onWindowUpdate'],
  ],
  sliding: [
    ['final', 'onWindowClose'],
    ['updates', 'onWindowUpdate'],
  ],
  session: [
    ['final', 'onWindowClose'],
    ['updates', 'onWindowUpdate'],
  ],
};

describe.each(Object.keys(windows) as WindowSpec['type'][])('%s windows against Kafka Streams', (type) => {
  it.each(modes[type])(
    'emit %s as %s: the same results after every record, the same drops',
    async (emit, as) => {
      await fc.assert(
        fc.asyncProperty(windows[type], records, async (window, input) => {
          const c: OracleCase = {
            spec: { window, aggregations },
            emit: as,
            records: input,
            retentionMs: retention(window),
          };
          const expected = await oracle.ask(c);
          const actual = tributary(c, emit);
          expect(emittedPerStep(actual)).toEqual(emittedPerStep(withoutReplacedTombstones(expected)));
          expect(drops(type, actual)).toEqual(drops(type, expected));
        }),
        { numRuns },
      );
    },
  );
});
