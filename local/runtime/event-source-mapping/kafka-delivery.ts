import {
  type BatchDeliveryDeps,
  type RetryPolicy,
  recordAgeCutoff,
  retriesExhausted,
} from './delivery-policy.js';
import { StoppedError } from './errors.js';
import type {
  DiscardedKafkaBatch,
  KafkaFailureCondition,
  KafkaInvocationOutcome,
} from './kafka-on-failure.js';
import type { KafkaRecord } from './msk-event.js';

/** The error handling settings of a Kafka mapping. */
export type KafkaDeliveryPolicy = RetryPolicy;

export type KafkaDeliveryDeps = BatchDeliveryDeps<KafkaRecord, KafkaInvocationOutcome, DiscardedKafkaBatch>;

/**
 * Delivers one batch the way Lambda's Kafka poller does, until every record was processed or
 * discarded (the caller then commits; nothing is committed before):
 * - records older than MaximumRecordAgeInSeconds (by their timestamp) are discarded before an
 *   invocation (`RecordAgeExceeded`);
 * - a function error or timeout retries the same batch, with backoff, until MaximumRetryAttempts
 *   is exhausted (`RetryAttemptsExhausted`; -1 retries for ever);
 * - a batch that never reached the function is retried as it is, not counted as a retry; one over
 *   the 6 MB request limit is split, and a single record over it is discarded
 *   (`MaximumPayloadSizeExceeded`).
 * Throws StoppedError when the runner stops before the batch is done.
 */
export async function deliverKafkaBatch(
  batch: readonly KafkaRecord[],
  policy: KafkaDeliveryPolicy,
  deps: KafkaDeliveryDeps,
): Promise<void> {
  let current = batch;
  let retries = 0;
  let invocations = 0;
  let notInvoked = 0;
  let lastOutcome: KafkaInvocationOutcome | undefined;
  const discard = (records: readonly KafkaRecord[], condition: KafkaFailureCondition) =>
    deps.discard({ records, condition, approximateInvokeCount: invocations, lastOutcome });
  while (current.length > 0) {
    if (deps.stopped()) throw new StoppedError('stopping');
    const oldest = recordAgeCutoff(policy, deps.now());
    if (oldest !== undefined) {
      const expired = current.filter((r) => r.timestamp < oldest);
      if (expired.length > 0) {
        await discard(expired, 'RecordAgeExceeded');
        current = current.filter((r) => r.timestamp >= oldest);
        continue;
      }
    }
    const outcome = await deps.invoke(current);
    if (outcome.kind === 'not-invoked') {
      if (outcome.payloadTooLarge) {
        if (current.length === 1) return discard(current, 'MaximumPayloadSizeExceeded');
        const middle = Math.ceil(current.length / 2);
        await deliverKafkaBatch(current.slice(0, middle), policy, deps);
        return deliverKafkaBatch(current.slice(middle), policy, deps);
      }
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
    retries += 1;
    if (retriesExhausted(policy, retries)) {
      return discard(current, 'RetryAttemptsExhausted');
    }
    await deps.backoff(retries);
  }
}
