import { describe, expect, it } from 'vitest';
import { createWindowEngine } from '../../../functions/core/index.js';
import { brief, briefLate, countAndSum, rec, run } from './helpers.js';

const session = (gapMs: number, graceMs = 0) => ({ type: 'session' as const, gapMs, graceMs });

describe('session windows', () => {
  it('extend a session with a record exactly `gap` after its end (the gap is inclusive)', () => {
    // Act
    const { results } = run(session(5), [rec('a', 0), rec('a', 5), rec('a', 11)], { flush: true });

    // Assess: 5 - 0 = gap joins; 11 - 5 = 6 > gap starts a new session
    expect(brief(results)).toEqual(['a 0-5 n=2', 'a 11-11 n=1']);
  });

  it('end at the last record (inclusive bounds), one session per key', () => {
    // Act
    const { results } = run(session(5), [rec('a', 1), rec('b', 2), rec('a', 4)], { flush: true });

    // Assess
    expect(brief(results)).toEqual(['b 2-2 n=1', 'a 1-4 n=2']);
  });

  it('take keys named like Object members as plain keys, in a state parsed without decodeState', () => {
    // Prepare
    const engine = createWindowEngine({ window: session(5), aggregations: countAndSum() });
    const { state } = engine.process(undefined, [rec('a', 1)]);
    const parsed = JSON.parse(JSON.stringify(state));

    // Act
    const out = engine.process(parsed, [rec('constructor', 2), rec('__proto__', 3), rec('toString', 4)]);
    const { results } = engine.flush(out.state);

    // Assess
    expect(brief(results)).toEqual([
      'a 1-1 n=1',
      'constructor 2-2 n=1',
      '__proto__ 3-3 n=1',
      'toString 4-4 n=1',
    ]);
  });

  it('merge two sessions when an out-of-order record bridges them', () => {
    // Prepare: [0,0] and [10,10] are 10 apart (gap 5); grace keeps both open
    const records = [rec('a', 0), rec('a', 10), rec('a', 5, 7)];

    // Act
    const { results } = run(session(5, 20), records, { flush: true });

    // Assess
    expect(results).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, values: { n: 3, sum: 9 } }]);
  });

  it('retract merged-away sessions in updates mode (a null value), then emit the merged one', () => {
    // Act
    const { results } = run(session(5, 20), [rec('a', 0), rec('a', 10), rec('a', 5)], { emit: 'updates' });

    // Assess
    expect(brief(results)).toEqual([
      'a 0-0 n=1',
      'a 10-10 n=1',
      'a 0-0 retract',
      'a 10-10 retract',
      'a 0-10 n=3',
    ]);
  });

  it('update a session in place (no retraction) when a record falls inside it', () => {
    // Act
    const { results } = run(session(5, 20), [rec('a', 0), rec('a', 4), rec('a', 2)], { emit: 'updates' });

    // Assess: 4 extends [0,0] to [0,4] (a new window: the old one is retracted); 2 changes nothing but the values
    expect(brief(results)).toEqual(['a 0-0 n=1', 'a 0-0 retract', 'a 0-4 n=2', 'a 0-4 n=3']);
  });

  it('emit the final session once stream time passes end + gap + grace', () => {
    // Prepare: gap 5, grace 3: session [0,2] closes when stream time > 10
    const engine = createWindowEngine({ window: session(5, 3), aggregations: countAndSum() });
    const open = engine.process(undefined, [rec('a', 0), rec('a', 2)]);

    // Act
    const at10 = engine.process(open.state, [rec('b', 10)]);
    const at11 = engine.process(at10.state, [rec('b', 11)]);

    // Assess
    expect(at10.results).toEqual([]);
    expect(brief(at11.results)).toEqual(['a 0-2 n=2']);
  });

  it('mark a record late when the session it would join ends before streamTime - gap - grace', () => {
    // Prepare: gap 5, grace 3, stream time 20: close time 12
    const base = [rec('a', 5), rec('b', 20)];

    // Act: [5,5] closed at stream time 14; 11 < 12 is late, 12 starts a session of its own
    const late = run(session(5, 3), [...base, rec('a', 11)]);
    const onTime = run(session(5, 3), [...base, rec('a', 12)], { flush: true });

    // Assess
    expect(briefLate(late.late)).toEqual(['a 11 11-11 st=20']);
    expect(onTime.late).toEqual([]);
    expect(brief(onTime.results)).toEqual(['a 5-5 n=1', 'a 12-12 n=1', 'b 20-20 n=1']);
  });

  it('keep a late record out of every aggregate (reported once, never dropped)', () => {
    // Act
    const { results, late } = run(session(2), [rec('a', 10), rec('a', 30), rec('a', 1, 99)], { flush: true });

    // Assess
    expect(late.map((l) => l.value)).toEqual([99]);
    expect(results.map((r) => r.values?.sum)).toEqual([1, 1]);
  });
});
