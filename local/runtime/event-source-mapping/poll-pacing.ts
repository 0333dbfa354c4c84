/** A lane holding records that wait for their batching window, as the poller sees it. */
export interface WaitingBatch {
  /** When the lane invokes with what it holds (first queued record + MaximumBatchingWindowInSeconds). */
  readonly dueAt: number;
  /** Records queued, and the arrival time of the first of them. */
  readonly queued: number;
  readonly firstArrivalMs: number;
}

/**
 * When the shard consumer reads again after a page that was not full. Normally a poll interval after
 * the last read, as Lambda polls. But while every lane only waits (for its batching window to end or
 * its batch to fill), reads in between change nothing the function sees: a batch is invoked when its
 * window ends or when it is full, with what was read by then. So the next read is put at the earliest
 * of those moments: just before the earliest window ends (250 ms ahead, at most a quarter of the poll
 * interval), or when records arriving at the pace the queued ones came would fill a batch; but never
 * sooner than a poll interval after the last read. That holds only after a read that got everything
 * there was (reached the tip): otherwise more is waiting now, and the next read is a poll interval on.
 * Each GetRecords costs LocalStack's kinesis-mock ~12 ms of its single thread whatever it returns, time
 * the producer's PutRecords waits for: with a 5 s window this reads about 2 times per window instead
 * of 5.
 */
export function nextPollAt(options: {
  readonly askedAt: number;
  /** Whether that read reached the shard's tip (its page had a `tipAsOf`). */
  readonly readToTip: boolean;
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  /** One per lane; undefined for a lane that is empty, full or in tumbling-window mode. */
  readonly lanes: readonly (WaitingBatch | undefined)[];
}): number {
  const { askedAt, readToTip, pollIntervalMs, batchSize, lanes } = options;
  const normal = askedAt + pollIntervalMs;
  if (!readToTip || lanes.length === 0) return normal;
  let next = Number.POSITIVE_INFINITY;
  for (const lane of lanes) {
    if (lane === undefined) return normal; // an empty lane: the next record starts its window
    next = Math.min(next, lane.dueAt - Math.min(250, pollIntervalMs / 4));
    // Records per ms from the first queued one's arrival to this read (a poll interval at least:
    // they may all have come in one read), so a pace that stopped slows down as time passes.
    const pace = lane.queued / Math.max(pollIntervalMs, askedAt - lane.firstArrivalMs);
    next = Math.min(next, askedAt + (batchSize - lane.queued) / pace);
  }
  return Math.max(normal, next);
}
