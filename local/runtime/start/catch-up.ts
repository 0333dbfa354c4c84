import { setTimeout as sleep } from 'node:timers/promises';
import { RunFailedError } from './run-failed-error.js';
import type { PipelineRuntime } from './runtime.js';

const STREAM_CHECK_INTERVAL_MS = 2_000;

/**
 * Waits until the mapping has read everything written to the stream or topic before `since` and
 * checkpointed (committed) all it read: records written by others (a test's poison records, a
 * `tributary produce` beside a --keep-running run) and a resumed run's earlier records count too.
 * Throws RunFailedError when LocalStack or the broker lost the stream, or the consumer did not get
 * there in time.
 */
export async function waitUntilCaughtUp(options: {
  readonly runtime: Pick<PipelineRuntime, 'caughtUp' | 'assertStreamAlive' | 'consumed'>;
  readonly since: number;
  readonly timeoutMs: number;
}): Promise<void> {
  const { runtime, timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  let checkedAt = 0;
  while (!(await runtime.caughtUp(options.since))) {
    // The progress check is (mostly) in memory; asking whether the stream still exists costs
    // kinesis-mock a call, so that is done every few seconds only.
    if (Date.now() - checkedAt >= STREAM_CHECK_INTERVAL_MS) {
      await runtime.assertStreamAlive();
      checkedAt = Date.now();
    }
    if (Date.now() > deadline) {
      throw new RunFailedError(
        `the consumer did not catch up in ${timeoutMs} ms: ${runtime.consumed()} records consumed`,
      );
    }
    await sleep(100);
  }
}
