/**
 * Typed errors of the AWS adapters, split the way a handler needs them: `retriable` errors
 * (throttling, a lost conditional write, a sink that kept failing) make the batch be retried from
 * the first unapplied record; poison errors belong to one record and send it to the dead-letter queue.
 */
export abstract class AdapterError extends Error {
  abstract readonly retriable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Why a record can never be applied. Stable strings: they land in the dead-letter messages. */
export type PoisonReason =
  | 'not-base64'
  | 'kpl-checksum'
  | 'kpl-corrupt'
  | 'oversized'
  | 'not-json'
  | 'invalid-envelope'
  | 'wrong-pipeline'
  | 'invalid-event';

/** One record that fails the same way on every attempt. */
export class PoisonRecordError extends AdapterError {
  readonly retriable = false;
  constructor(
    readonly reason: PoisonReason,
    message: string,
  ) {
    super(message);
  }
}

/** Another invocation wrote the checkpoint first (If-Match / If-None-Match failed): retry the batch. */
export class CheckpointConflictError extends AdapterError {
  readonly retriable = true;
  constructor(
    readonly pipeline: string,
    readonly shard: string,
    readonly expectedEtag: string | undefined,
  ) {
    super(
      `checkpoint ${pipeline}/${shard} changed since it was read (expected ${
        expectedEtag === undefined ? 'no object' : `ETag ${expectedEtag}`
      }, found another): another invocation won the race`,
    );
  }
}

/** A checkpoint object that is not a checkpoint (poison for the shard: needs an operator). */
export class CheckpointCorruptError extends AdapterError {
  readonly retriable = false;
}

/** A sink (Firehose, SQS, Kinesis) still rejected entries after the bounded retries. */
export class DeliveryError extends AdapterError {
  readonly retriable = true;
  constructor(
    readonly sink: string,
    readonly failed: number,
    readonly attempts: number,
    readonly lastErrors: readonly string[],
  ) {
    super(
      `${sink}: ${failed} entr${failed === 1 ? 'y' : 'ies'} still failing after ${attempts} attempts (last errors: ${
        lastErrors.slice(0, 3).join('; ') || 'none reported'
      })`,
    );
  }
}

/**
 * An idle flush run that flushed the shards it could and then fails, so the function's error alarm
 * shows the shards it left: `outcome` is what it did to the others.
 */
export abstract class IncompleteFlushError extends AdapterError {
  constructor(
    message: string,
    /** What the run did to the other shards (the idle flush's outcome). */
    readonly outcome?: Readonly<Record<string, number>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The idle flush could not tell whether some shards' streams still hold undelivered records, so it
 * left them alone this run (the others were flushed): failing the run makes it visible.
 */
export class BacklogCheckError extends IncompleteFlushError {
  readonly retriable = true;
  constructor(
    readonly failures: readonly { readonly shard: string; readonly error: unknown }[],
    outcome?: Readonly<Record<string, number>>,
  ) {
    super(
      `backlog check failed for ${failures.length} shard(s), left alone this run: ${failures
        .map((f) => `${f.shard}: ${f.error instanceof Error ? f.error.message : String(f.error)}`)
        .join('; ')}`,
      outcome,
      { cause: failures[0]?.error },
    );
  }
}

/**
 * The idle flush skipped checkpoints it cannot use (not checkpoints, or refused by the engine: a
 * deploy the state check did not guard) and flushed the other shards: failing the run makes the
 * skipped shards' windows, which stay open, visible.
 */
export class SkippedCheckpointsError extends IncompleteFlushError {
  readonly retriable = false;
  constructor(
    readonly skipped: readonly { readonly shard: string; readonly reason: string }[],
    outcome?: Readonly<Record<string, number>>,
  ) {
    super(
      `${skipped.length} checkpoint(s) skipped, their windows stay open: ${skipped
        .map((s) => `${s.shard}: ${s.reason}`)
        .join('; ')}`,
      outcome,
    );
  }
}

/** Missing or malformed configuration (environment variables). */
export class ConfigurationError extends AdapterError {
  readonly retriable = false;
}

/**
 * What an error says of being retried: an adapter error's own flag, a `retriable: false`, the SDK's
 * `$retryable`, or its HTTP status (5xx, throttling, timeouts). Undefined when it says nothing.
 */
function declaredRetriable(error: unknown): boolean | undefined {
  if (error instanceof AdapterError) return error.retriable;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: unknown }; retriable?: unknown };
  if (e.retriable === false) return false;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429 || status === 408;
  return undefined;
}

/**
 * Whether an error (ours or the SDK's) is worth retrying the batch for. Unknown failures (network,
 * timeouts) are retried; Lambda's own retry bound stops a loop.
 */
export function isRetriable(error: unknown): boolean {
  return declaredRetriable(error) ?? true;
}

/**
 * Whether a failure is one the service says may pass (throttling, 5xx, timeouts; an adapter error
 * marked retriable). Unlike isRetriable, an unknown error (a bug, a missing permission without a
 * status) is not: it must not be waved through as a passing problem.
 */
export function isTransient(error: unknown): boolean {
  return declaredRetriable(error) ?? false;
}

/** An error as one line for a log field or a reason: `Name: message`. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
