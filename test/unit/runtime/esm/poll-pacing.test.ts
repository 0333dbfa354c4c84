import { describe, expect, it } from 'vitest';
import { nextPollAt, type WaitingBatch } from '../../../../local/runtime/event-source-mapping/poll-pacing.js';

const waiting = (over: Partial<WaitingBatch> = {}): WaitingBatch => ({
  dueAt: 5_000,
  queued: 100,
  firstArrivalMs: 0,
  lastArrivalMs: 0,
  ...over,
});

describe('nextPollAt', () => {
  const base = { askedAt: 0, pollIntervalMs: 1_000, batchSize: 1_000 };

  it('reads a poll interval later while a lane is empty (its next record starts a window)', () => {
    expect(nextPollAt({ ...base, lanes: [waiting(), undefined] })).toBe(1_000);
    expect(nextPollAt({ ...base, lanes: [] })).toBe(1_000);
  });

  it('reads just before the earliest batching window ends when every lane only waits for it', () => {
    expect(nextPollAt({ ...base, lanes: [waiting({ dueAt: 5_000 }), waiting({ dueAt: 4_000 })] })).toBe(
      3_750,
    );
  });

  it('keeps the poll interval when the window ends before the next regular read anyway', () => {
    expect(nextPollAt({ ...base, lanes: [waiting({ dueAt: 1_100 })] })).toBe(1_000);
  });

  it('keeps polling when records at the queued pace would fill a batch before the window ends', () => {
    // 400 records that arrived within 1 s: ~1,900 more by 4.75 s, past the batch size of 1,000
    expect(nextPollAt({ ...base, lanes: [waiting({ queued: 400, lastArrivalMs: 1_000 })] })).toBe(1_000);
    // 100 records over 2 s: ~240 more by then, so the read waits for the window's end
    expect(nextPollAt({ ...base, lanes: [waiting({ queued: 100, lastArrivalMs: 2_000 })] })).toBe(4_750);
  });
});
