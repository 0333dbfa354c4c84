import { compareSequenceNumbers, type StreamRecord } from '../kinesis/index.js';
import type { FunctionError } from '../lambda/errors.js';
import type { InvokeResult } from '../lambda/local-function.js';

/** How Lambda reads one invocation of a stream batch. */
export type InvocationOutcome =
  | { readonly kind: 'success'; readonly state?: Readonly<Record<string, unknown>> }
  /** Checkpoint before `failedSequenceNumber`, retry from it. */
  | {
      readonly kind: 'partial';
      readonly failedSequenceNumber: string;
      readonly state?: Readonly<Record<string, unknown>>;
    }
  /** The whole batch failed: a function error or an invalid response. */
  | { readonly kind: 'failure'; readonly reason: string; readonly functionError?: FunctionError }
  /**
   * The function was never invoked (the request could not be made): AWS retries such a batch
   * until its records expire, without bisecting it or counting retry attempts.
   */
  | {
      readonly kind: 'not-invoked';
      readonly reason: string;
      /** Over the 6 MB request limit: a batch AWS's poller would never have built, so it is cut smaller. */
      readonly payloadTooLarge?: boolean;
    };

export interface ResponseRules {
  readonly reportBatchItemFailures: boolean;
  /** With a tumbling window the response must carry `state`. */
  readonly tumblingWindow: boolean;
}

/**
 * Classifies an invocation result by Lambda's rules for stream batches: without
 * ReportBatchItemFailures a returned value is never read (success); with it, a null or empty
 * response or failure list is a success, an item without a non-empty `itemIdentifier` of this
 * batch makes the whole batch fail, and otherwise the lowest sequence number reported is where
 * processing resumes. With a tumbling window a response without `state` is a failed invocation.
 */
export function classifyResponse(
  result: InvokeResult,
  batch: readonly StreamRecord[],
  rules: ResponseRules,
): InvocationOutcome {
  if (!result.ok) {
    return {
      kind: 'failure',
      reason: `${result.error.errorType}: ${result.error.errorMessage}`,
      functionError: result.error,
    };
  }
  const payload = result.payload;
  const object =
    typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  let state: Readonly<Record<string, unknown>> | undefined;
  if (rules.tumblingWindow) {
    const s = object?.state;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      return {
        kind: 'failure',
        reason: `a tumbling window response must contain a state object (given ${preview(payload)})`,
      };
    }
    state = s as Record<string, unknown>;
  }
  if (!rules.reportBatchItemFailures || payload === null) return { kind: 'success', state };
  if (object === undefined)
    return { kind: 'failure', reason: `invalid batch response (given ${preview(payload)})` };
  const failures = object.batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success', state };
  if (!Array.isArray(failures)) {
    return { kind: 'failure', reason: `batchItemFailures must be a list (given ${preview(failures)})` };
  }
  if (failures.length === 0) return { kind: 'success', state };
  const inBatch = new Set(batch.map((r) => r.sequenceNumber));
  let lowest: string | undefined;
  for (const item of failures) {
    const id =
      typeof item === 'object' && item !== null
        ? (item as Record<string, unknown>).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
      return {
        kind: 'failure',
        reason: `batchItemFailures has an invalid itemIdentifier (given ${preview(item)})`,
      };
    }
    if (lowest === undefined || compareSequenceNumbers(id, lowest) < 0) lowest = id;
  }
  return lowest === undefined
    ? { kind: 'success', state }
    : { kind: 'partial', failedSequenceNumber: lowest, state };
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
