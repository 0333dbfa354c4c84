import { backoffDelay, type ResolvedBackoff } from '../retry.js';

/** Splits entries into consecutive chunks of at most `maxCount` entries and `maxBytes` bytes. */
export function chunkBySize<T>(
  entries: readonly T[],
  maxCount: number,
  maxBytes: number,
  sizeOf: (entry: T) => number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = sizeOf(entry);
    if (current.length > 0 && (current.length === maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** An entry a batch call rejected, with the service's reason. */
export interface EntryFailure {
  /** Position in the list given to `send`. */
  readonly index: number;
  readonly error: string;
  /** False when trying again cannot help (the entry itself is wrong). @default true */
  readonly retriable?: boolean;
}

/** What remains rejected after the retries, by position in the original list. */
export interface RetryOutcome {
  readonly failures: { readonly index: number; readonly error: string }[];
  readonly attempts: number;
}

/**
 * Sends a batch and resends only the entries the service rejected (partial failures), with
 * bounded exponential backoff and full jitter between attempts. Whole-call errors propagate
 * (the SDK client already retries those with its own policy).
 */
export async function sendWithRetries<T>(
  entries: readonly T[],
  send: (batch: readonly T[]) => Promise<readonly EntryFailure[]>,
  backoff: ResolvedBackoff,
): Promise<RetryOutcome> {
  let pending = entries.map((entry, index) => ({ entry, index }));
  const final: { index: number; error: string }[] = [];
  let attempts = 0;
  while (pending.length > 0) {
    if (attempts > 0) await backoff.sleep(backoffDelay(backoff, attempts - 1));
    attempts += 1;
    const failures = await send(pending.map((p) => p.entry));
    const retry: typeof pending = [];
    for (const failure of failures) {
      const item = pending[failure.index];
      if (!item) continue;
      if (failure.retriable === false || attempts >= backoff.maxAttempts) {
        final.push({ index: item.index, error: failure.error });
      } else {
        retry.push(item);
      }
    }
    pending = retry;
  }
  final.sort((a, b) => a.index - b.index);
  return { failures: final, attempts };
}
