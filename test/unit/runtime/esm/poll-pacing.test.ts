import { describe, expect, it } from 'vitest';
import { nextPollAt, type WaitingBatch } from '../../../../local/runtime/event-source-mapping/poll-pacing.js';

const waiting = (over: Partial<WaitingBatch> = {}): WaitingBatch => ({
  dueAt: 5_000,
  queued: 100,
  firstArrivalMs: -1_000,
  ...over,
});

describe('nextPollAt', () => {
  // The last read was sent at 0; Lambda would poll again at 1,000.
  const base = { askedAt: 0, readToTip: true, pollIntervalMs: 1_000, batchSize: 1_000 };

  it('reads a poll interval later while a lane is empty (its next record starts a window)', () => {
    expect(nextPollAt({ ...base, lanes: [waiting(), undefined] })).toBe(1_000);
    expect(nextPollAt({ ...base, lanes: [] })).toBe(1_000);
  });

  it('reads just before the earliest batching window ends when every lane only waits for it', () => {
    expect(nextPollAt({ ...base, lanes: [waiting({ dueAt: 5_000 }), waiting({ dueAt: 4_000 })] })).toBe(
      3_750,
    );
  });

  it('reads a poll interval later after a read that did not reach the tip (more is waiting)', () => {
    expect(nextPollAt({ ...base, readToTip: false, lanes: [waiting({ dueAt: 5_000 })] })).toBe(1_000);
  });

  it('keeps the poll interval when the window ends before the next regular read anyway', () => {
    expect(nextPollAt({ ...base, lanes: [waiting({ dueAt: 1_100 })] })).toBe(1_000);
  });

  it('reads when records at the queued pace would fill a batch, if that is before the window ends', () => {
    // 400 records that arrived within the last 1 s: 600 more take 1.5 s
    expect(nextPollAt({ ...base, lanes: [waiting({ queued: 400 })] })).toBe(1_500);
    // 100 records over 2 s: the batch would fill after the window's end, so the read waits for it
    expect(nextPollAt({ ...base, lanes: [waiting({ queued: 100, firstArrivalMs: -2_000 })] })).toBe(4_750);
  });

  it('keeps the poll interval when the batch would fill within it', () => {
    // 800 records in 1 s: 200 more come in 0.25 s, Lambda's next poll would invoke
    expect(nextPollAt({ ...base, lanes: [waiting({ queued: 800 })] })).toBe(1_000);
  });

  it('reads less often as records stop coming: the pace counts the time up to the read', () => {
    // 300 records, the first 1 s before the read: 700 more at that pace take 2.33 s; 3 s later
    // with nothing new, the pace is 300 in 4 s and they would take 9.33 s
    const stopped = waiting({ queued: 300, dueAt: 60_000 });
    const soon = nextPollAt({ ...base, lanes: [stopped] }) - base.askedAt;
    const later = nextPollAt({ ...base, askedAt: 3_000, lanes: [stopped] }) - 3_000;
    expect(soon).toBeCloseTo(2_333, 0);
    expect(later).toBeCloseTo(9_333, 0);
  });
});
