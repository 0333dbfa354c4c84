import { describe, expect, it } from 'vitest';
import {
  countAggregate,
  createWindowEngine,
  decodeState,
  type EngineState,
  encodeState,
  firstAggregate,
  lastAggregate,
  STATE_VERSION,
  StateCorruptError,
  StateVersionError,
} from '../../../functions/core/index.js';
import { countAndSum, rec } from './helpers.js';

const tumbling = { type: 'tumbling' as const, sizeMs: 10, graceMs: 0 };

describe('engine state codec', () => {
  it('round-trips state as JSON and as gzip bytes, and the bytes are smaller', () => {
    // Prepare
    const engine = createWindowEngine({ window: tumbling, aggregations: countAndSum() });
    const records = Array.from({ length: 500 }, (_, i) => rec(`key-${i % 50}`, i % 10, i));
    const { state } = engine.process(undefined, records);

    // Act
    const json = encodeState(state, 'json');
    const bytes = encodeState(state, 'bytes');

    // Assess
    expect(decodeState(json)).toEqual(JSON.parse(json));
    expect(decodeState(bytes)).toEqual(JSON.parse(json));
    expect(bytes.length).toBeLessThan(json.length);
    expect(JSON.parse(json)).toMatchObject({
      v: STATE_VERSION,
      kind: 'time',
      streamTime: 9,
      window: tumbling,
    });
  });

  it('reads a version-3 checkpoint (one array per session), and the engine continues from it as from the current one', () => {
    // Prepare: open sessions written in the layout before one flat array per key
    const session = { type: 'session' as const, gapMs: 5, graceMs: 100 };
    const engine = createWindowEngine({ window: session, aggregations: countAndSum() });
    const first = [rec('a', 1, 1), rec('a', 3, 2), rec('a', 20, 3), rec('b', 2, 4), rec('b', 4, 5)];
    const current = JSON.parse(encodeState(engine.process(undefined, first).state, 'json'));
    // count and sum take one slot each after a session's start and end
    const stride = 2 + current.aggregations.length;
    const perSession = (flat: unknown[]) =>
      Array.from({ length: flat.length / stride }, (_, i) => flat.slice(i * stride, (i + 1) * stride));
    const v3 = {
      ...current,
      v: 3,
      sessions: Object.fromEntries(
        Object.entries(current.sessions as Record<string, unknown[]>).map(([k, flat]) => [
          k,
          perSession(flat),
        ]),
      ),
    };
    const next = [rec('a', 22, 6), rec('b', 30, 7), rec('c', 200, 8)];

    // Act
    const migrated = decodeState(JSON.stringify(v3));
    const migratedCopy = structuredClone(migrated);
    const fromV3 = engine.process(migrated, next);
    const fromCurrent = engine.process(decodeState(JSON.stringify(current)), next);

    // Assess
    expect(v3.sessions.a).toEqual([
      [1, 3, 2, 3],
      [20, 20, 1, 3],
    ]);
    expect(migratedCopy).toEqual(current);
    expect(fromV3.results.length).toBeGreaterThan(0);
    expect(fromV3.results).toEqual(fromCurrent.results);
    expect(engine.flush(fromV3.state).results).toEqual(engine.flush(fromCurrent.state).results);
  });

  it('keeps a key named __proto__ a plain key', () => {
    // Prepare
    const engine = createWindowEngine({ window: tumbling, aggregations: countAndSum() });
    const { state } = engine.process(undefined, [rec('__proto__', 1), rec('constructor', 2)]);

    // Act
    const restored = decodeState(encodeState(state, 'json'));
    const { results } = engine.flush(restored);

    // Assess
    expect(results.map((r) => r.key)).toEqual(['__proto__', 'constructor']);
  });

  it('refuses another version with StateVersionError saying what it expected', () => {
    // Act / Assess
    const other = `{"v":${STATE_VERSION + 1},"kind":"time"}`;
    expect(() => decodeState(other)).toThrow(StateVersionError);
    expect(() => decodeState(other)).toThrow(
      `engine state version must be ${STATE_VERSION} (given ${STATE_VERSION + 1})`,
    );
    // A checkpoint of the layout before panes (version 1) is refused, not misread.
    expect(() => decodeState('{"v":1,"kind":"time","buckets":[]}')).toThrow(StateVersionError);
  });

  it('refuses what is not engine state with StateCorruptError', () => {
    // Act / Assess
    expect(() => decodeState('not json')).toThrow(StateCorruptError);
    expect(() => decodeState(new Uint8Array([1, 2, 3]))).toThrow(StateCorruptError);
    expect(() => decodeState(`{"v":${STATE_VERSION},"kind":"time","panes":"nope"}`)).toThrow(
      /does not have the expected shape/,
    );
  });

  it('refuses a pane whose accumulator slots do not fit its keys and aggregations', () => {
    // Prepare
    const engine = createWindowEngine({ window: tumbling, aggregations: countAndSum() });
    const { state } = engine.process(undefined, [rec('a', 1), rec('b', 2)]);
    const text = encodeState(state, 'json').replace('"accumulators":[', '"accumulators":[7,');

    // Act / Assess
    expect(() => engine.process(decodeState(text), [])).toThrow(StateCorruptError);
    expect(() => engine.process(decodeState(text), [])).toThrow(/5 accumulator slots for 2 keys \(2 each\)/);
  });

  it('refuses a key whose session slots do not fit the aggregations, or whose sessions overlap', () => {
    // Prepare
    const engine = createWindowEngine({
      window: { type: 'session', gapMs: 5, graceMs: 20 },
      aggregations: countAndSum(),
    });
    const { state } = engine.process(undefined, [rec('a', 1), rec('a', 20)]);
    const extraSlot = encodeState(state, 'json').replace('"a":[1,1,', '"a":[1,1,7,');
    const overlapping = encodeState(state, 'json').replace('"a":[1,1,', '"a":[1,25,');

    // Act / Assess: count and sum take 2 slots a session, after its start and end
    expect(() => engine.process(decodeState(extraSlot), [])).toThrow(StateCorruptError);
    expect(() => engine.process(decodeState(extraSlot), [])).toThrow(
      /key "a" holds 9 session slots, not a multiple of 4/,
    );
    expect(() => engine.process(decodeState(overlapping), [])).toThrow(
      /key "a": session 2 spans 20 to 20, not whole numbers after 25/,
    );
  });

  it('refuses state built for another window or other aggregations', () => {
    // Prepare
    const five = createWindowEngine({ window: { ...tumbling, sizeMs: 5 }, aggregations: countAndSum() });
    const ten = createWindowEngine({ window: tumbling, aggregations: countAndSum() });
    const countOnly = createWindowEngine({ window: tumbling, aggregations: { n: countAggregate() } });
    const { state } = ten.process(undefined, [rec('a', 1)]);

    // Act / Assess
    expect(() => five.process(state, [])).toThrow(/state was built for window .*"sizeMs":10/);
    expect(() => countOnly.process(state, [])).toThrow(/holds aggregations \["n:count","sum:sum"\]/);
    expect(() => countOnly.process(state, [])).toThrow(/only once it holds no windows \(drained\)/);
  });

  it('continues a sliding state whose windows are all closed, though it keeps them for lookups', () => {
    // Prepare: [0, 5] and [2, 7] closed by stream time 15 (grace 0), kept until 3 x td after their start
    const old = createWindowEngine({
      window: { type: 'sliding', timeDifferenceMs: 5, graceMs: 0 },
      aggregations: countAndSum(),
    });
    const first = old.process(undefined, [rec('a', 1), rec('a', 2)]);
    const closed = old.advanceTo(first.state, 15);
    const wider = createWindowEngine({
      window: { type: 'sliding', timeDifferenceMs: 10, graceMs: 0 },
      aggregations: countAndSum(),
    });

    // Act
    const out = wider.process(decodeState(encodeState(closed.state, 'json')), [rec('a', 16)]);

    // Assess: both windows were emitted under the old spec; the new one starts afresh at 15
    expect(closed.results.map((r) => [r.windowStart, r.windowEnd])).toEqual([
      [0, 5],
      [2, 7],
    ]);
    expect(Object.keys((closed.state as { windows: object }).windows)).toEqual(['a']);
    expect(out.state).toMatchObject({ window: { timeDifferenceMs: 10 }, streamTime: 16 });
    expect(wider.flush(out.state).results.map((r) => [r.windowStart, r.windowEnd, r.values])).toEqual([
      [6, 16, { n: 1, sum: 1 }],
    ]);
  });

  it('takes the stream time of a drained state into a hopping runtime, with or without a checkpoint between batches', () => {
    // Prepare: drained at stream time 100; then hopping 10 by 5, grace 0
    const ten = createWindowEngine({ window: tumbling, aggregations: countAndSum() });
    const drained = ten.advanceTo(ten.process(undefined, [rec('a', 90)]).state, 100).state;
    const hopping = createWindowEngine({
      window: { type: 'hopping', sizeMs: 10, advanceMs: 5, graceMs: 0 },
      aggregations: countAndSum(),
    });
    const run = (carry: (s: EngineState) => EngineState) => {
      const one = hopping.process(carry(drained), [rec('a', 96)]);
      const two = hopping.process(carry(one.state), [rec('a', 120)]);
      return {
        late: one.late.map((l) => l.windowStart),
        results: two.results.map((r) => [r.windowStart, r.values?.n]),
      };
    };

    // Act
    const sameObject = run((s) => s);
    const checkpointed = run((s) => decodeState(encodeState(s, 'json')));

    // Assess: 96 is late for [90, 100), which closed before the change; only [95, 105) holds it
    expect(sameObject).toEqual({ late: [90], results: [[95, 1]] });
    expect(checkpointed).toEqual(sameObject);
  });

  it('refuses a state whose aggregation changed kind under the same name, built-ins of any kind', () => {
    // Prepare: first and count (not all numeric: each keeps its own accumulator)
    const before = createWindowEngine({
      window: tumbling,
      aggregations: { x: firstAggregate((v) => v), n: countAggregate() },
    });
    const after = createWindowEngine({
      window: tumbling,
      aggregations: { x: lastAggregate((v) => v), n: countAggregate() },
    });
    const { state } = before.process(undefined, [rec('a', 1)]);

    // Act / Assess
    expect(state.aggregations).toEqual(['x:first', 'n:count']);
    expect(() => after.process(decodeState(encodeState(state, 'json')), [])).toThrow(
      /holds aggregations \["x:first","n:count"\], this engine computes \["x:last","n:count"\]/,
    );
  });

  it('continues a state of bare aggregation names (written before kinds were recorded) and records the kinds', () => {
    // Prepare: a version-4 checkpoint of a pipeline that was not all numeric kept names only
    const engine = createWindowEngine({
      window: tumbling,
      aggregations: { x: firstAggregate((v) => v), n: countAggregate() },
    });
    const { state } = engine.process(undefined, [rec('a', 1)]);
    const older = JSON.parse(encodeState(state, 'json'));
    older.aggregations = ['x', 'n'];

    // Act
    const out = engine.process(decodeState(JSON.stringify(older)), [rec('a', 12)]);

    // Assess
    expect(out.state.aggregations).toEqual(['x:first', 'n:count']);
    expect(out.results.map((r) => [r.windowStart, r.values])).toEqual([[0, { x: 1, n: 1 }]]);
  });

  it.each([
    ['a window of another size', { window: { ...tumbling, sizeMs: 5 }, aggregations: countAndSum() }],
    ['other aggregations', { window: tumbling, aggregations: { n: countAggregate() } }],
    [
      'another window type',
      { window: { type: 'session' as const, gapMs: 3, graceMs: 0 }, aggregations: countAndSum() },
    ],
  ])('continues a drained state under %s, from its stream time', (_, changed) => {
    // Prepare: every window closed (a pipeline drained before a deploy), then the checkpoint's text
    const ten = createWindowEngine({ window: tumbling, aggregations: countAndSum() });
    const first = ten.process(undefined, [rec('a', 1, 2), rec('a', 25, 3)]);
    const drained = ten.advanceTo(first.state, 40).state;
    const checkpoint = decodeState(encodeState(drained, 'json'));
    const engine = createWindowEngine(changed);

    // Act: one record older than the stream time carried over allows, one on time
    const out = engine.process(checkpoint, [rec('a', 30, 4), rec('b', 41, 5)]);
    const flushed = engine.flush(out.state);

    // Assess: the new definition's state, at the old stream time; nothing of the old windows
    expect(out.state).toMatchObject({ window: changed.window, streamTime: 41 });
    expect(out.late.map((l) => l.ts)).toEqual([30]);
    expect(flushed.results.map((r) => [r.key, r.values])).toEqual([
      ['b', 'sum' in changed.aggregations ? { n: 1, sum: 5 } : { n: 1 }],
    ]);
  });
});
