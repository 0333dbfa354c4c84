// What the Kinesis (batch-delivery.ts) and Kafka (kafka-delivery.ts) deliveries share: the meaning
// of the retry settings and what a delivery needs from the outside world.

/** The retry settings of a mapping. */
export interface RetryPolicy {
  /** -1 = infinite. */
  readonly maximumRetryAttempts: number;
  /** -1 = no maximum age. */
  readonly maximumRecordAgeSeconds: number;
}

/** What delivering a batch needs from the outside world (injected: unit tests use fakes). */
export interface BatchDeliveryDeps<TRecord, TOutcome, TDiscarded> {
  /** Sends the records to the function and classifies the response. */
  invoke(records: readonly TRecord[]): Promise<TOutcome>;
  /** Hands discarded records to the on-failure destination (or drops them when there is none). */
  discard(batch: TDiscarded): Promise<void>;
  /** Records the function processed (Kinesis checkpoints them; Kafka commits once the batch is done). */
  processed(records: readonly TRecord[]): void;
  now(): number;
  /** Waits before a retry; rejects with StoppedError when the runner stops. */
  backoff(attempt: number): Promise<void>;
  stopped(): boolean;
}

/** True once `retries` retries went past MaximumRetryAttempts (never with -1). */
export function retriesExhausted(policy: RetryPolicy, retries: number): boolean {
  return policy.maximumRetryAttempts >= 0 && retries > policy.maximumRetryAttempts;
}

/** Records older than this time are past MaximumRecordAgeInSeconds; undefined with no maximum age. */
export function recordAgeCutoff(policy: RetryPolicy, now: number): number | undefined {
  return policy.maximumRecordAgeSeconds < 0 ? undefined : now - policy.maximumRecordAgeSeconds * 1000;
}
