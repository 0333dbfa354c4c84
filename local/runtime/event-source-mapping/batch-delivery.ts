import type { StreamRecord } from '../kinesis/index.js';
import {
  type BatchDeliveryDeps,
  type RetryPolicy,
  recordAgeCutoff,
  retriesExhausted,
} from './delivery-policy.js';
import { StoppedError } from './errors.js';
import type { DiscardedBatch } from './on-failure.js';
import type { InvocationOutcome } from './response.js';

/** The error handling settings of a mapping. */
export interface DeliveryPolicy extends RetryPolicy {
  readonly bisectBatchOnFunctionError: boolean;
}

export type DeliveryDeps = BatchDeliveryDeps<StreamRecord, InvocationOutcome, DiscardedBatch>;

/**
 * Delivers one batch the way Lambda's stream poller does, until every record is either processed
 * or discarded:
 * - records older than MaximumRecordAgeInSeconds are discarded before an invocation
 *   (`RecordAgeExceeded`);
 * - a partial batch response checkpoints before the lowest failed sequence number and retries
 *   from it (a retry: it counts against MaximumRetryAttempts);
 * - a failed invocation with BisectBatchOnFunctionError splits the batch in two and delivers each
 *   half in turn; splitting does not consume retry attempts;
 * - otherwise a failed batch is retried until MaximumRetryAttempts is exhausted
 *   (`RetryAttemptsExhausted`), then discarded;
 * - a batch that never reached the function (`not-invoked`) is retried as it is, with backoff,
 *   until its records expire: "This doesn't apply to service errors or throttles where the batch
 *   didn't reach the function" (Lambda's Kinesis error handling). One over the 6 MB request limit
 *   is split instead (the batch cut in lane.ts should make that impossible).
 * Throws StoppedError when the runner stops mid-way (the unprocessed records are then not
 * checkpointed and will be read again).
 */
export async function deliverBatch(
  batch: readonly StreamRecord[],
  policy: DeliveryPolicy,
  deps: DeliveryDeps,
  retriesSoFar = 0,
): Promise<void> {
  let current = batch;
  let retries = retriesSoFar;
  let invocations = 0;
  let notInvoked = 0;
  let lastOutcome: InvocationOutcome | undefined;
  while (current.length > 0) {
    if (deps.stopped()) throw new StoppedError('stopping');
    const expired = expiredPrefix(current, policy, deps.now());
    if (expired > 0) {
      await deps.discard({
        records: current.slice(0, expired),
        condition: 'RecordAgeExceeded',
        approximateInvokeCount: invocations,
        lastOutcome,
      });
      current = current.slice(expired);
      continue;
    }
    const outcome = await deps.invoke(current);
    if (outcome.kind === 'not-invoked') {
      if (outcome.payloadTooLarge && current.length > 1) return deliverHalves(current, policy, deps, retries);
      notInvoked += 1;
      await deps.backoff(notInvoked);
      continue;
    }
    notInvoked = 0;
    invocations += 1;
    lastOutcome = outcome;
    if (outcome.kind === 'success') {
      deps.processed(current);
      return;
    }
    let failed = current;
    if (outcome.kind === 'partial') {
      const at = current.findIndex((r) => r.sequenceNumber === outcome.failedSequenceNumber);
      deps.processed(current.slice(0, at));
      failed = current.slice(at);
    } else if (policy.bisectBatchOnFunctionError && current.length > 1) {
      return deliverHalves(current, policy, deps, retries);
    }
    retries += 1;
    if (retriesExhausted(policy, retries)) {
      await deps.discard({
        records: failed,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: invocations,
        lastOutcome,
      });
      return;
    }
    await deps.backoff(retries);
    current = failed;
  }
}

/** Delivers the two halves of a batch in turn, each with the retries used so far (a split is not a retry). */
async function deliverHalves(
  batch: readonly StreamRecord[],
  policy: DeliveryPolicy,
  deps: DeliveryDeps,
  retries: number,
): Promise<void> {
  const middle = Math.ceil(batch.length / 2);
  await deliverBatch(batch.slice(0, middle), policy, deps, retries);
  await deliverBatch(batch.slice(middle), policy, deps, retries);
}

function expiredPrefix(records: readonly StreamRecord[], policy: DeliveryPolicy, now: number): number {
  const oldest = recordAgeCutoff(policy, now);
  if (oldest === undefined) return 0;
  let n = 0;
  while (n < records.length && (records[n]?.approximateArrivalTimestamp ?? Infinity) < oldest) n += 1;
  return n;
}
