import { createHash } from 'node:crypto';
import type { LateRecord, WindowResult } from '../../core/types.js';
import type { RecordPosition } from '../kinesis/decode.js';
import type { DeadLetter } from '../sinks/dead-letter-sink.js';

/** One window result as written to the aggregates delivery stream (one JSON line). */
export interface AggregateRecord {
  readonly id: string;
  readonly pipeline: string;
  readonly key: string;
  readonly window_start: number;
  readonly window_end: number;
  /** Null retracts a session merged away (emit mode `updates`). */
  readonly values: Readonly<Record<string, unknown>> | null;
  readonly shard: string;
  readonly emitted_at: number;
}

/** One late record as written to the late delivery stream. */
export interface LateOutputRecord {
  readonly pipeline: string;
  readonly key: string;
  readonly ts: number;
  readonly window_start: number;
  readonly window_end: number;
  readonly stream_time: number;
  /** How far behind stream time the record was: stream_time - ts. */
  readonly lateness_ms: number;
  readonly shard: string;
  readonly sequence_number: string;
  readonly sub_sequence_number?: number;
  readonly event: unknown;
}

/**
 * The deterministic id of a window result: a re-emission after a retry carries the same id, so the
 * warehouse can keep one row per id.
 */
export function resultId(
  pipeline: string,
  key: string,
  windowStart: number,
  windowEnd: number,
  shard: string,
): string {
  return createHash('sha256').update(`${pipeline}|${key}|${windowStart}|${windowEnd}|${shard}`).digest('hex');
}

/** Maps the engine's results to aggregate records. */
export function toAggregateRecords(
  results: readonly WindowResult[],
  context: { readonly pipeline: string; readonly shard: string; readonly emittedAt: number },
): AggregateRecord[] {
  return results.map((r) => ({
    id: resultId(context.pipeline, r.key, r.windowStart, r.windowEnd, context.shard),
    pipeline: context.pipeline,
    key: r.key,
    window_start: r.windowStart,
    window_end: r.windowEnd,
    values: r.values,
    shard: context.shard,
    emitted_at: context.emittedAt,
  }));
}

/**
 * Maps the engine's late records to output records. `positionOf` finds the stream position of
 * the event (the engine hands back the event object it was given).
 */
export function toLateRecords(
  late: readonly LateRecord[],
  context: {
    readonly pipeline: string;
    readonly shard: string;
    readonly positionOf: (event: unknown) => RecordPosition | undefined;
  },
): LateOutputRecord[] {
  return late.map((l) => {
    const position = context.positionOf(l.value);
    return {
      pipeline: context.pipeline,
      key: l.key,
      ts: l.ts,
      window_start: l.windowStart,
      window_end: l.windowEnd,
      stream_time: l.streamTime,
      lateness_ms: l.streamTime - l.ts,
      shard: context.shard,
      sequence_number: position?.sequenceNumber ?? '',
      ...(position?.subSequenceNumber === undefined
        ? {}
        : { sub_sequence_number: position.subSequenceNumber }),
      event: l.value,
    };
  });
}

/**
 * Dead letters for output records Firehose cannot take (over 1,000 KiB): kept in the queue with the
 * position of the batch (or step) that made them, never dropped.
 */
export function oversizedOutputLetters(
  items: readonly object[],
  context: {
    readonly pipeline: string;
    readonly shard: string;
    readonly sequenceNumber: string;
    readonly at: number;
  },
): DeadLetter[] {
  return items.map((item) => ({
    reason: 'oversized: output record larger than Firehose accepts (1,000 KiB)',
    pipeline: context.pipeline,
    shard: context.shard,
    sequence_number: context.sequenceNumber,
    data_base64: Buffer.from(JSON.stringify(item)).toString('base64'),
    approximate_arrival: context.at,
  }));
}
