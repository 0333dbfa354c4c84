import { z } from 'zod';

const DIGITS = /^\d+$/;

/**
 * What a Kinesis event source mapping's on-failure destination receives when Lambda gives up on a
 * batch (retries exhausted, or records older than the maximum record age): a description of the
 * batch, not its records, which stay in the stream until its retention ends. AWS documents the
 * shape in "Retaining discarded batch records" (Lambda developer guide); only what a redrive reads
 * is checked.
 */
const kinesisOnFailureRecordSchema = z.looseObject({
  requestContext: z.looseObject({ condition: z.string(), functionArn: z.string().optional() }),
  KinesisBatchInfo: z.looseObject({
    shardId: z.string().min(1),
    startSequenceNumber: z.string().regex(DIGITS),
    endSequenceNumber: z.string().regex(DIGITS),
    batchSize: z.number().int().min(1),
    streamArn: z.string().startsWith('arn:'),
  }),
});

/** A batch the mapping gave up on: sequence numbers `from` to `to` (inclusive) of one shard. */
export interface DiscardedBatch {
  readonly streamArn: string;
  readonly shardId: string;
  readonly from: string;
  readonly to: string;
  /** Kinesis records in the batch (an aggregated KPL record counts once). */
  readonly size: number;
  /** Why Lambda gave up: `RetryAttemptsExhausted` or `RecordAgeExceeded`. */
  readonly condition: string;
}

/**
 * Reads a dead-letter queue message body: a discarded Kinesis batch, or why it is not one. The
 * aggregator's queue also holds the records it dead-lettered itself (not JSON, schema-invalid,
 * ...): those carry their data and a reason, and are for a person to read, not to redrive.
 */
export function readDiscardedBatch(body: string): DiscardedBatch | { readonly notABatch: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { notABatch: 'not JSON' };
  }
  if (json !== null && typeof json === 'object' && 'reason' in json && 'data_base64' in json) {
    return { notABatch: `a record the aggregator dead-lettered (${String(json.reason).split(':')[0]})` };
  }
  if (json !== null && typeof json === 'object' && 'KafkaBatchInfo' in json) {
    return { notABatch: 'a Kafka batch: no redrive on MSK yet' };
  }
  const parsed = kinesisOnFailureRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { notABatch: `not a Kinesis on-failure record (${issue?.path.join('.')}: ${issue?.message})` };
  }
  const info = parsed.data.KinesisBatchInfo;
  if (BigInt(info.startSequenceNumber) > BigInt(info.endSequenceNumber)) {
    return { notABatch: 'a Kinesis on-failure record whose start sequence number is after its end' };
  }
  return {
    streamArn: info.streamArn,
    shardId: info.shardId,
    from: info.startSequenceNumber,
    to: info.endSequenceNumber,
    size: info.batchSize,
    condition: parsed.data.requestContext.condition,
  };
}
