/**
 * A record the aggregator could not apply, as sent to the pipeline's dead-letter queue (the
 * on-failure records of the event source mapping land in the same queue in AWS' own shape).
 */
export interface DeadLetter {
  readonly reason: string;
  readonly pipeline: string;
  readonly shard: string;
  readonly sequence_number: string;
  /** Index inside a KPL aggregated record, when the record was one. */
  readonly sub_sequence_number?: number;
  readonly data_base64: string;
  /** ApproximateArrivalTimestamp, epoch ms. */
  readonly approximate_arrival: number;
  /** Set when `data_base64` was cut to fit the queue's message size limit. */
  readonly truncated?: boolean;
  /** Size of the data before truncation (bytes of base64 text). */
  readonly original_data_base64_length?: number;
}

/** Characters of a reason a dead letter keeps: reasons may quote the record, which can be 1 MiB. */
export const MAX_REASON_CHARS = 2_000;

/** `reason`, cut to MAX_REASON_CHARS and saying so: the data keeps the whole record. */
export function boundedReason(reason: string): string {
  if (reason.length <= MAX_REASON_CHARS) return reason;
  return `${reason.slice(0, MAX_REASON_CHARS)}... (reason cut: ${reason.length} characters)`;
}

/**
 * A dead letter for an invocation event, or an entry of one, that is not a record the aggregator
 * can read (so it has no position): the entry itself, as JSON, is the data.
 */
export function unusableEntryLetter(
  pipeline: string,
  entry: unknown,
  reason: string,
  shard = 'unknown',
): DeadLetter {
  return {
    reason: boundedReason(reason),
    pipeline,
    shard,
    sequence_number: '',
    data_base64: Buffer.from(JSON.stringify(entry) ?? String(entry)).toString('base64'),
    approximate_arrival: Date.now(),
  };
}

/** Where poison records go. Delivers every message or throws DeliveryError. */
export interface DeadLetterSink {
  send(letters: readonly DeadLetter[]): Promise<void>;
}

/** A DeadLetterSink in memory (tests, benchmarks). */
export class MemoryDeadLetterSink implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];

  async send(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
  }
}
