import { describe, expect, it } from 'vitest';
import { createWindowEngine, decodeState, encodeState } from '../../../functions/core/index.js';
import { brief, briefLate, countAndSum, rec, run } from './helpers.js';

const tumbling = (sizeMs: number, graceMs = 0) => ({ type: 'tumbling' as const, sizeMs, graceMs });
const hopping = (sizeMs: number, advanceMs: number, graceMs = 0) => ({
  type: 'hopping' as const,
  sizeMs,
  advanceMs,
  graceMs,
});

describe('tumbling windows', () => {
  it('are half-open and aligned to epoch 0: a record at the end belongs to the next window', () => {
    // Prepare: boundaries at 0, 10, 20
    const records = [rec('a', 0), rec('a', 9), rec('a', 10), rec('a', 19)];

    // Act
    const { results } = run(tumbling(10), records, { flush: true });

    // Assess
    expect(brief(results)).toEqual(['a 0-10 n=2', 'a 10-20 n=2']);
  });

  it('emits a window once, when stream time reaches end + grace (suppress until window closes)', () => {
    // Prepare: window [0,10) with grace 5 closes at stream time 15
    const engine = createWindowEngine({ window: tumbling(10, 5), aggregations: countAndSum() });

    // Act
    const before = engine.process(undefined, [rec('a', 3), rec('b', 14)]);
    const at = engine.process(before.state, [rec('b', 15)]);
    const after = engine.process(at.state, [rec('b', 16)]);

    // Assess
    expect(before.results).toEqual([]);
    expect(brief(at.results)).toEqual(['a 0-10 n=1']);
    expect(after.results).toEqual([]);
  });

  it('accepts an out-of-order record within grace and marks one after close as late, with its lateness', () => {
    // Prepare: grace 5; stream time 14 keeps [0,10) open, 15 closes it
    const records = [rec('a', 1), rec('a', 14), rec('a', 2), rec('a', 15), rec('a', 3)];

    // Act
    const { results, late } = run(tumbling(10, 5), records);

    // Assess
    expect(brief(results)).toEqual(['a 0-10 n=2']);
    expect(briefLate(late)).toEqual(['a 3 0-10 st=15']);
    expect(late[0]?.lateness).toBe(12);
  });

  it('does not move stream time back with an out-of-order record', () => {
    // Prepare
    const engine = createWindowEngine({ window: tumbling(10), aggregations: countAndSum() });

    // Act
    const out = engine.process(undefined, [rec('a', 25), rec('a', 3)]);

    // Assess: 3 is late against stream time 25, which stays 25
    expect(out.state.streamTime).toBe(25);
    expect(briefLate(out.late)).toEqual(['a 3 0-10 st=25']);
  });

  it('shares one stream time across keys: another key can close a quiet key’s window', () => {
    // Act
    const { results } = run(tumbling(10), [rec('quiet', 1), rec('busy', 30)]);

    // Assess
    expect(brief(results)).toEqual(['quiet 0-10 n=1']);
  });

  it('orders results closing together by window end, then key', () => {
    // Act
    const { results } = run(tumbling(10), [
      rec('b', 1),
      rec('a', 2),
      rec('c', 12),
      rec('a', 15),
      rec('x', 40),
    ]);

    // Assess
    expect(brief(results)).toEqual(['a 0-10 n=1', 'b 0-10 n=1', 'a 10-20 n=1', 'c 10-20 n=1']);
  });

  it('advanceTo closes windows of a quiet shard without records; it never moves time back', () => {
    // Prepare
    const engine = createWindowEngine({ window: tumbling(10, 2), aggregations: countAndSum() });
    const first = engine.process(undefined, [rec('a', 5)]);

    // Act
    const early = engine.advanceTo(first.state, 11);
    const closing = engine.advanceTo(early.state, 12);
    const back = engine.advanceTo(closing.state, 3);

    // Assess
    expect(early.results).toEqual([]);
    expect(brief(closing.results)).toEqual(['a 0-10 n=1']);
    expect(back.state.streamTime).toBe(12);
  });

  it('flush closes every open window; without it only closed windows are emitted', () => {
    // Act
    const open = run(tumbling(10), [rec('a', 1), rec('a', 12)]);
    const flushed = run(tumbling(10), [rec('a', 1), rec('a', 12)], { flush: true });

    // Assess
    expect(brief(open.results)).toEqual(['a 0-10 n=1']);
    expect(brief(flushed.results)).toEqual(['a 0-10 n=1', 'a 10-20 n=1']);
    expect(flushed.state.kind === 'time' && flushed.state.panes).toEqual([]);
  });

  it('updates mode emits after every change, and closed windows still leave the state', () => {
    // Act
    const { results, state } = run(tumbling(10), [rec('a', 1), rec('a', 2), rec('a', 11), rec('a', 30)], {
      emit: 'updates',
    });

    // Assess
    expect(brief(results)).toEqual(['a 0-10 n=1', 'a 0-10 n=2', 'a 10-20 n=1', 'a 30-40 n=1']);
    expect(state.kind === 'time' && state.panes.map((p) => p.start)).toEqual([30]);
  });

  it('rejects a batch with a timestamp that is not a whole number >= 0, naming it, applying none of it', () => {
    // Prepare
    const engine = createWindowEngine({ window: tumbling(10), aggregations: countAndSum() });
    const { state } = engine.process(undefined, [rec('a', 1)]);

    // Act / Assess
    expect(() => engine.process(state, [rec('a', 2), rec('b', -5)])).toThrow(
      /record 1 \(key "b"\).*given -5/,
    );
    expect(brief(engine.flush(state).results)).toEqual(['a 0-10 n=1']);
  });
});

describe('hopping windows', () => {
  it('put a record in every window with start <= ts < end (size / advance of them)', () => {
    // Act
    const { results } = run(hopping(5, 1), [rec('a', 7)], { flush: true });

    // Assess
    expect(brief(results)).toEqual(['a 3-8 n=1', 'a 4-9 n=1', 'a 5-10 n=1', 'a 6-11 n=1', 'a 7-12 n=1']);
  });

  it('start no window before epoch 0', () => {
    // Act
    const { results } = run(hopping(5, 1), [rec('a', 2)], { flush: true });

    // Assess
    expect(brief(results)).toEqual(['a 0-5 n=1', 'a 1-6 n=1', 'a 2-7 n=1']);
  });

  it('handle a size that is not a multiple of the advance', () => {
    // Act: size 7, advance 3: of the windows starting at multiples of 3, [3,10), [6,13) and [9,16) hold 9
    const { results } = run(hopping(7, 3), [rec('a', 9)], { flush: true });

    // Assess
    expect(brief(results)).toEqual(['a 3-10 n=1', 'a 6-13 n=1', 'a 9-16 n=1']);
  });

  it('make a record late for a closed window and on time for the next (partial lateness)', () => {
    // Prepare: size 10, advance 5, no grace; stream time 12 has closed [0,10) only
    const records = [rec('a', 12), rec('a', 7)];

    // Act
    const { results, late } = run(hopping(10, 5), records, { flush: true });

    // Assess
    expect(briefLate(late)).toEqual(['a 7 0-10 st=12']);
    expect(brief(results)).toEqual(['a 5-15 n=2', 'a 10-20 n=1']);
  });

  it('open a flushed window afresh for a later record (flush keeps stream time)', () => {
    // Prepare
    const engine = createWindowEngine({ window: hopping(10, 5), aggregations: countAndSum(true) });
    const first = engine.process(undefined, [rec('a', 12, 2), rec('b', 13, 3)]);
    const flushed = engine.flush(first.state);

    // Act
    const again = engine.process(flushed.state, [rec('a', 14, 4)]);
    const end = engine.flush(again.state);

    // Assess
    expect(brief(flushed.results)).toEqual(['a 5-15 n=1', 'b 5-15 n=1', 'a 10-20 n=1', 'b 10-20 n=1']);
    expect(
      end.results.map((r) => `${r.key} ${r.windowStart}-${r.windowEnd} ${JSON.stringify(r.values)}`),
    ).toEqual(['a 5-15 {"n":1,"sum":4,"last":4}', 'a 10-20 {"n":1,"sum":4,"last":4}']);
  });

  it('keep every window of keys that come and go, across checkpoints', () => {
    // Prepare: 3,000 keys, each seen once, windows closing as time goes on
    const records = Array.from({ length: 3000 }, (_, i) => rec(`k${i}`, i * 3, 1));
    const engine = createWindowEngine({ window: hopping(20, 5), aggregations: countAndSum() });

    // Act: batches of 100, the state restored from its encoded form half the time
    let state = engine.initialState();
    let windows = 0;
    for (let i = 0; i < records.length; i += 100) {
      const out = engine.process(state, records.slice(i, i + 100));
      windows += out.results.length;
      state = i % 200 === 0 ? decodeState(encodeState(out.state, 'json')) : out.state;
    }
    windows += engine.flush(state).results.length;

    // Assess: a record is in 4 windows, except near epoch 0: ts 0 and 3 in 1, 6 and 9 in 2, 12 in 3
    expect(windows).toBe(3000 * 4 - (3 + 3 + 2 + 2 + 1));
  });
});
