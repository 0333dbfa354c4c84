/** A lane holding records that wait for their batching window, as the poller sees it. */
export interface WaitingBatch {
  /** When the lane invokes with what it holds (first queued record + MaximumBatchingWindowInSeconds). */
  readonly dueAt: number;
  /** Records queued, and the arrival times of the first and last of them. */
  readonly queued: number;
  readonly firstArrivalMs: number;
  readonly lastArrivalMs: number;
}

/**
 * When the shard consumer reads again after a page that was not full. Normally a poll interval after
 * the last read, as Lambda polls. But while every lane only waits out its batching window, reads in
 * between change nothing the function sees: the batch is invoked at the window's end with what was
 * read by then. So the next read is put just before the earliest window ends (`leadMs` ahead), unless
 * records arriving at the queued records' pace would fill a batch first (Lambda would invoke at once,
 * so the consumer keeps polling). Each GetRecords costs LocalStack's kinesis-mock ~20 ms of its single
 * thread, which the producer's PutRecords waits for: with a 5 s window this reads about 2 times per
 * window instead of 5.
 */
export function nextPollAt(options: {
  readonly askedAt: number;
  readonly pollIntervalMs: number;
  readonly batchSize: number;
  /** One per lane; undefined for a lane that is empty, full or in tumbling-window mode. */
  readonly lanes: readonly (WaitingBatch | undefined)[];
}): number {
  const { askedAt, pollIntervalMs, batchSize, lanes } = options;
  const normal = askedAt + pollIntervalMs;
  if (lanes.length === 0) return normal;
  let dueAt = Number.POSITIVE_INFINITY;
  for (const lane of lanes) {
    if (lane === undefined) return normal; // an empty lane: the next record starts its window
    dueAt = Math.min(dueAt, lane.dueAt);
  }
  const wakeAt = dueAt - Math.min(250, pollIntervalMs / 4);
  if (wakeAt <= normal) return normal;
  for (const lane of lanes) {
    if (lane === undefined) continue;
    // Records per ms since the first queued one arrived (a poll interval at least: they came in one read).
    const pace = lane.queued / Math.max(pollIntervalMs, lane.lastArrivalMs - lane.firstArrivalMs);
    if (lane.queued + pace * (wakeAt - askedAt) >= batchSize) return normal;
  }
  return wakeAt;
}
