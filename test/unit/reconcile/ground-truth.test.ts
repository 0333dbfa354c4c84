import { describe, expect, it } from 'vitest';
import type { AggregationSpec } from '../../../functions/core/pipeline.js';
import type { WindowSpec } from '../../../functions/core/types.js';
import {
  computeGroundTruth,
  type ReferenceRecord,
  timeWindowsOf,
} from '../../../local/reconcile/ground-truth.js';
import { touchesUnchecked } from '../../../local/reconcile/sliding-reference.js';

// Scenarios follow Kafka Streams' documented behaviour: stream time = largest timestamp seen per
// partition, a time window closes at end + grace, a session record within the gap (inclusive)
// joins or bridges sessions, and a record is late when the session it would form ends before
// streamTime - gap - grace (KStreamSessionWindowAggregate).

type Value = { readonly x: number };
const aggregations: Record<string, AggregationSpec<Value>> = {
  n: { fn: 'count' },
  sum: { fn: 'sum', field: (v) => v.x },
  first: { fn: 'first', field: (v) => v.x },
  last: { fn: 'last', field: (v) => v.x },
};
const rec = (key: string, ts: number, x = ts, partition = 'p0'): ReferenceRecord<Value> => ({
  partition,
  key,
  ts,
  value: { x },
});
const brief = (
  windows: ReadonlyArray<{
    key: string;
    windowStart: number;
    windowEnd: number;
    values: Record<string, unknown>;
  }>,
) => windows.map((w) => `${w.key}[${w.windowStart},${w.windowEnd}] n=${w.values.n}`);
const truth = (records: ReferenceRecord<Value>[], window: WindowSpec, options = {}) =>
  computeGroundTruth(records, { window, aggregations }, options);

describe('timeWindowsOf', () => {
  it('lists every aligned window holding the time, none with a negative start', () => {
    expect(timeWindowsOf(12, 10, 5)).toEqual([
      [5, 15],
      [10, 20],
    ]);
    expect(timeWindowsOf(3, 10, 5)).toEqual([[0, 10]]);
    expect(timeWindowsOf(10, 10, 10)).toEqual([[10, 20]]);
  });
});

describe('computeGroundTruth, time windows', () => {
  const tumbling: WindowSpec = { type: 'tumbling', sizeMs: 10, graceMs: 5 };

  it('accepts a record until stream time reaches end + grace, then reports it late', () => {
    // Prepare: [0,10) closes when stream time reaches 15.
    const input = [rec('a', 3), rec('a', 14), rec('a', 2), rec('a', 15), rec('a', 4)];

    // Act
    const result = truth(input, tumbling);

    // Assess
    expect(brief(result.results)).toEqual(['a[0,10] n=2']);
    expect(result.late).toEqual([
      { partition: 'p0', key: 'a', ts: 4, value: { x: 4 }, windowStart: 0, windowEnd: 10, streamTime: 15 },
    ]);
    expect(result.streamTime).toEqual({ p0: 15 });
  });

  it('emits the windows still open only when flushed', () => {
    // Act
    const result = truth([rec('a', 3), rec('a', 14), rec('a', 15)], tumbling, { flush: true });

    // Assess
    expect(brief(result.results)).toEqual(['a[0,10] n=1', 'a[10,20] n=2']);
  });

  it('reports a hopping record late for a closed window and aggregates it into the open one', () => {
    // Prepare: 12 belongs to [5,15) and [10,20); stream time 16 has closed [5,15) (grace 0).
    const hopping: WindowSpec = { type: 'hopping', sizeMs: 10, advanceMs: 5, graceMs: 0 };

    // Act
    const result = truth([rec('a', 0), rec('a', 16), rec('a', 12)], hopping, { flush: true });

    // Assess
    expect(result.late.map((l) => [l.ts, l.windowStart, l.windowEnd])).toEqual([[12, 5, 15]]);
    expect(brief(result.results)).toContain('a[10,20] n=2');
  });

  it('keeps one stream time per partition', () => {
    // Prepare: the record at 16 is on another partition, so 12 is on time in p0.
    const hopping: WindowSpec = { type: 'hopping', sizeMs: 10, advanceMs: 5, graceMs: 0 };

    // Act
    const result = truth([rec('a', 0), rec('b', 16, 16, 'p1'), rec('a', 12)], hopping, { flush: true });

    // Assess
    expect(result.late).toEqual([]);
    expect(result.streamTime).toEqual({ p0: 12, p1: 16 });
  });

  it('picks first and last by event time, not by arrival', () => {
    // Act
    const result = truth([rec('a', 5, 50), rec('a', 1, 10), rec('a', 9, 90), rec('a', 7, 70)], tumbling, {
      flush: true,
    });

    // Assess
    expect(result.results[0]?.values).toEqual({ n: 4, sum: 220, first: 10, last: 90 });
  });
});

describe('computeGroundTruth, session windows', () => {
  it('joins records within the gap, inclusive, and splits beyond it', () => {
    // Prepare
    const session: WindowSpec = { type: 'session', gapMs: 10, graceMs: 100 };

    // Act
    const joined = truth([rec('a', 0), rec('a', 10)], session, { flush: true });
    const split = truth([rec('a', 0), rec('a', 11)], session, { flush: true });

    // Assess
    expect(brief(joined.results)).toEqual(['a[0,10] n=2']);
    expect(brief(split.results)).toEqual(['a[0,0] n=1', 'a[11,11] n=1']);
  });

  it('merges two sessions bridged by an out-of-order record', () => {
    // Act
    const result = truth(
      [rec('a', 0), rec('a', 20), rec('a', 10)],
      { type: 'session', gapMs: 10, graceMs: 100 },
      { flush: true },
    );

    // Assess
    expect(brief(result.results)).toEqual(['a[0,20] n=3']);
    expect(result.results[0]?.values).toMatchObject({ first: 0, last: 20, sum: 30 });
  });

  it('emits a session once stream time passes end + gap + grace, and reports a record late for it', () => {
    // Prepare: gap 10, grace 5; b@100 closes a's session [0,0]; a@3 would form [0,3] < 100-15.
    const session: WindowSpec = { type: 'session', gapMs: 10, graceMs: 5 };

    // Act
    const result = truth([rec('a', 0), rec('b', 100), rec('a', 3)], session);

    // Assess
    expect(brief(result.results)).toEqual(['a[0,0] n=1']);
    // The closed session is out of reach (older than 2 gaps + grace), so the record forms [3,3] alone.
    expect(result.late).toMatchObject([{ key: 'a', ts: 3, windowStart: 3, windowEnd: 3, streamTime: 100 }]);
  });

  it('follows Kafka Streams into re-emitting a closed session a record joins, or forgets it', () => {
    // Prepare: gap 10, grace 0. b@11 closes a's [0,0] (0 < 11-10); a@5 is on time (5 >= 1) and
    // within the gap of [0,0].
    const session: WindowSpec = { type: 'session', gapMs: 10, graceMs: 0 };
    const input = [rec('a', 0), rec('b', 11), rec('a', 5)];

    // Act
    const merge = truth(input, session, { flush: true, closedSessions: 'merge' });
    const forget = truth(input, session, { flush: true, closedSessions: 'forget' });

    // Assess
    expect(brief(merge.results)).toEqual(['a[0,0] n=1', 'a[0,5] n=2', 'b[11,11] n=1']);
    expect(brief(forget.results)).toEqual(['a[0,0] n=1', 'a[5,5] n=1', 'b[11,11] n=1']);
    expect(merge.late).toEqual([]);
    expect(forget.late).toEqual([]);
  });
});

describe('computeGroundTruth, sliding windows', () => {
  const sliding: WindowSpec = { type: 'sliding', timeDifferenceMs: 10, graceMs: 10 };

  it('has a left window per record, a right window where a later record falls, early records in [0, td]', () => {
    // Act
    const result = truth([rec('a', 8), rec('a', 20), rec('a', 15)], sliding, { flush: true });

    // Assess: 8 is early ([0,10]); 15's left window holds 8 and 15; 8's right window [9,19]
    // holds 15; 15's right window [16,26] holds 20; 20's left window [10,20] holds 15 and 20.
    expect(brief(result.results).sort()).toEqual(
      ['a[0,10] n=1', 'a[10,20] n=2', 'a[16,26] n=1', 'a[5,15] n=2', 'a[9,19] n=1'].sort(),
    );
  });

  it('emits a window once its end is before stream time - grace', () => {
    // Act
    const result = truth([rec('a', 10), rec('a', 20), rec('a', 21)], {
      type: 'sliding',
      timeDifferenceMs: 10,
      graceMs: 0,
    });

    // Assess: [0,10] closes at 11 (10 < 21 - 0); [10,20] needs stream time 21 too.
    expect(brief(result.results)).toEqual(['a[0,10] n=1', 'a[10,20] n=2']);
  });

  it('drops a record later than every window it could belong to, as Kafka Streams does: late once, with its left window', () => {
    // Act: closeTime = 30 - 10 = 20 >= 5 + 1 + 10, so even the right window [6, 16] of ts 5 is closed
    const { results, late, unchecked } = truth([rec('a', 30), rec('a', 5)], sliding, { flush: true });

    // Assess
    expect(late).toEqual([
      { partition: 'p0', key: 'a', ts: 5, value: { x: 5 }, windowStart: 0, windowEnd: 10, streamTime: 30 },
    ]);
    expect(unchecked).toEqual([]);
    expect(brief(results)).toEqual(['a[20,30] n=1']);
  });

  it('leaves out a record later than the grace while one of its windows is open, and says so', () => {
    // Act: ts 15 is 15 late (grace 10), but its right window [16, 26] ends after closeTime 20
    const { results, late, unchecked } = truth([rec('a', 30), rec('a', 15)], sliding, { flush: true });

    // Assess: only what the record cannot have touched is expected; the rest is unchecked
    expect(unchecked).toEqual([{ partition: 'p0', key: 'a', ts: 15, streamTime: 30 }]);
    expect(late).toEqual([]);
    expect(brief(results)).toEqual(['a[20,30] n=1']);
    // Any window of its key ending at or after ts 15 may hold it, directly or through the window
    // Kafka Streams built it from
    const w = (windowStart: number) => ({
      partition: 'p0',
      key: 'a',
      windowStart,
      windowEnd: windowStart + 10,
    });
    expect([0, 4, 5, 16, 20].map((start) => touchesUnchecked(unchecked, w(start)))).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(touchesUnchecked(unchecked, { ...w(10), key: 'b' })).toBe(false);
    expect(touchesUnchecked(unchecked, { ...w(10), partition: 'p1' })).toBe(false);
  });
});
