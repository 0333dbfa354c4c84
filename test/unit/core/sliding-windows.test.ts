import { describe, expect, it } from 'vitest';
import { brief, briefLate, rec, run } from './helpers.js';

const sliding = (timeDifferenceMs: number, graceMs = 0) => ({
  type: 'sliding' as const,
  timeDifferenceMs,
  graceMs,
});

describe('sliding windows (Kafka Streams SlidingWindows)', () => {
  it('create each record’s left window [ts - d, ts] and, when a later record falls in it, its right window [ts + 1, ts + 1 + d]', () => {
    // Act: d = 10
    const { results } = run(sliding(10, 100), [rec('a', 20), rec('a', 25), rec('a', 32)], { flush: true });

    // Assess: both bounds inclusive; windows that would hold no record are never created
    expect(brief(results)).toEqual([
      'a 10-20 n=1',
      'a 15-25 n=2',
      'a 21-31 n=1',
      'a 22-32 n=2',
      'a 26-36 n=1',
    ]);
  });

  it('give the same windows whatever the arrival order within grace', () => {
    // Act
    const inOrder = run(sliding(10, 100), [rec('a', 20), rec('a', 25), rec('a', 32)], { flush: true });
    const shuffled = run(sliding(10, 100), [rec('a', 32), rec('a', 20), rec('a', 25)], { flush: true });

    // Assess
    expect(brief(shuffled.results)).toEqual(brief(inOrder.results));
  });

  it('put records before timeDifference into the shared window [0, d] (no negative starts)', () => {
    // Act
    const { results } = run(sliding(10, 100), [rec('a', 3), rec('a', 8)], { flush: true });

    // Assess
    expect(brief(results)).toEqual(['a 0-10 n=2', 'a 4-14 n=1']);
  });

  it('close a window once stream time passes its (inclusive) end + grace', () => {
    // Act: window [0,10] with grace 2 is open at stream time 12 and closed at 13
    const at12 = run(sliding(10, 2), [rec('a', 10), rec('b', 12)]);
    const at13 = run(sliding(10, 2), [rec('a', 10), rec('b', 13)]);

    // Assess
    expect(at12.results).toEqual([]);
    expect(brief(at13.results)).toEqual(['a 0-10 n=1']);
  });

  it('report a record whose windows are all closed as late, once', () => {
    // Act: d 10, grace 0, stream time 40: a record at 5 has no open window left
    const { late } = run(sliding(10), [rec('b', 40), rec('a', 5)]);

    // Assess
    expect(briefLate(late)).toEqual(['a 5 0-10 st=40']);
  });

  it('aggregate a late-ish record into the open windows and report the closed ones it missed', () => {
    // Prepare: d 10, grace 0; records at 20 and 31 make [10,20], [21,31]; stream time 31: closeTime 31
    const records = [rec('a', 20), rec('a', 31), rec('a', 21)];

    // Act
    const { results, late } = run(sliding(10), records, { flush: true });

    // Assess: 21's left window [11,21] ends before 31: late; it joins [21,31], still open, and
    // gets a right window [22,32] since 31 falls in it
    expect(briefLate(late)).toEqual(['a 21 11-21 st=31']);
    expect(brief(results)).toEqual(['a 10-20 n=1', 'a 21-31 n=2', 'a 22-32 n=1']);
  });

  it('open the right window of a record whose own windows closed long ago, while it can still be joined', () => {
    // Prepare: d 4, grace 4 (Kafka Streams' counterexample). b@4 makes [0,4]; a@13 moves stream
    // time to 13, closeTime 9; b@8 misses its left window [4,8] but belongs in b@4's right window
    // [5,9], still open. Finding b@4 means looking back 2d from 8, past closeTime - 2d.
    const records = [rec('b', 4), rec('a', 13), rec('b', 8)];

    // Act
    const { results, late } = run(sliding(4, 4), records, { emit: 'updates' });

    // Assess
    expect(briefLate(late)).toEqual(['b 8 4-8 st=13']);
    expect(brief(results)).toEqual(['b 0-4 n=1', 'a 9-13 n=1', 'b 5-9 n=1']);
  });

  it('reports a missed window once when it is both the previous record’s right window and the record’s left window', () => {
    // Prepare: d 4, grace 0; stream time 20 when a@17 arrives (closeTime 20). Its previous record
    // is a@12, whose right window [13,17] is also a@17's left window, closed.
    const records = [rec('a', 8), rec('a', 12), rec('a', 20), rec('a', 17)];

    // Act
    const { late } = run(sliding(4), records);

    // Assess: one late line for [13,17] (two would put the record in late/ twice)
    expect(briefLate(late).filter((l) => l.startsWith('a 17 '))).toEqual(['a 17 13-17 st=20']);
  });
});
