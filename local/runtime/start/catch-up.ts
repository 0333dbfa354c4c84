import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalClients } from './clients.js';
import type { LocalstackWatch } from './localstack-watch.js';
import { RunFailedError } from './run-failed-error.js';
import type { PipelineRuntime } from './runtime.js';
import { assertStreamAlive, shardRanges } from './stream-checks.js';

const STREAM_CHECK_INTERVAL_MS = 2_000;

/**
 * Waits until, on every shard, the mapping has read up to the tip as it was at `since` and
 * checkpointed all it read: records written by others (a test's poison records, a `tributary
 * produce` beside a --keep-running run) and a resumed run's earlier records count too. (Reading
 * the stream again to find the tips took ~10 s at 20,000 records on kinesis-mock.) Throws
 * RunFailedError when LocalStack lost the stream or the consumer did not get there in time.
 */
export async function waitUntilCaughtUp(options: {
  readonly clients: LocalClients;
  readonly streamName: string;
  readonly runtime: PipelineRuntime;
  readonly watch: LocalstackWatch;
  readonly since: number;
  readonly timeoutMs: number;
}): Promise<void> {
  const { clients, streamName, runtime, watch, timeoutMs } = options;
  const deadline = Date.now() + timeoutMs;
  const shardIds = (await shardRanges(clients, streamName)).map((s) => s.shardId);
  let checkedAt = 0;
  while (!runtime.caughtUp(shardIds, options.since)) {
    // The progress check is in memory; asking LocalStack whether the stream still exists costs
    // kinesis-mock a call, so that is done every few seconds only.
    if (Date.now() - checkedAt >= STREAM_CHECK_INTERVAL_MS) {
      await assertStreamAlive(clients, streamName, { runtime, watch });
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
