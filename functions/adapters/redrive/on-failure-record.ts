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

/** An offset as a decimal string, whether the record gives it as a string or a number. */
const offset = z.union([z.string().regex(DIGITS), z.number().int().min(0).transform(String)]);

/**
 * A record's timestamp as epoch ms, or undefined when absent or not an ISO-8601 time: it only
 * guards the redrive (kafka-redrive-source.ts), so a message is not unreadable for lack of one.
 * Date.parse alone would read `"1"` as the year 2001, and refuse a range for it.
 */
const timestamp = z.iso
  .datetime({ offset: true })
  .transform((value) => Date.parse(value))
  .optional()
  .catch(undefined);

/**
 * The same for a Kafka event source mapping (MSK or self-managed: "Capturing discarded batches for
 * Amazon MSK and self-managed Apache Kafka event sources"): per `<topic>-<partition>` of the batch,
 * its first and last offset and those records' timestamps. The records stay in the topic until its
 * retention ends.
 */
const kafkaOnFailureRecordSchema = z.looseObject({
  requestContext: z.looseObject({ condition: z.string() }),
  KafkaBatchInfo: z.looseObject({
    eventSourceArn: z.string().startsWith('arn:'),
    recordsInfo: z.record(
      z.string(),
      z.looseObject({
        firstRecordOffset: offset,
        lastRecordOffset: offset,
        firstRecordTimestamp: timestamp,
        lastRecordTimestamp: timestamp,
      }),
    ),
  }),
});

interface DiscardedRange {
  /** The shard: a Kinesis shard id, or `<topic>-<partition>` (the aggregator's shard on Kafka). */
  readonly shardId: string;
  /** First and last sequence number (Kafka: offset), inclusive. */
  readonly from: string;
  readonly to: string;
  /**
   * Records in the range. Kinesis: the batch's size (an aggregated KPL record counts once). Kafka:
   * the offsets from `from` to `to`, an upper bound (a transactional or compacted topic has gaps).
   */
  readonly size: number;
  /** Why Lambda gave up: `RetryAttemptsExhausted`, `RecordAgeExceeded`, ... */
  readonly condition: string;
}

/** A batch the Kinesis mapping gave up on: sequence numbers `from` to `to` of one shard. */
export interface DiscardedKinesisBatch extends DiscardedRange {
  readonly kind: 'kinesis';
  readonly streamArn: string;
}

/** The part of a batch the Kafka mapping gave up on that lies in one partition. */
export interface DiscardedKafkaRange extends DiscardedRange {
  readonly kind: 'kafka';
  /** The cluster's ARN (the mapping's event source). */
  readonly clusterArn: string;
  readonly topic: string;
  readonly partition: number;
  /**
   * The Kafka timestamps (epoch ms) of the records at `from` and `to`, when the on-failure record
   * gives them: a topic recreated since holds other records at those offsets, and the redrive
   * tells them apart by these (kafka-redrive-source.ts). Absent: no such check.
   */
  readonly firstTimestampMs?: number;
  readonly lastTimestampMs?: number;
}

export type DiscardedBatch = DiscardedKinesisBatch | DiscardedKafkaRange;

/**
 * Reads a dead-letter queue message body: the ranges of a discarded batch (one for Kinesis, one
 * per partition for Kafka), or why it is not one. The aggregator's queue also holds the records it
 * dead-lettered itself (not JSON, schema-invalid, ...): those carry their data and a reason, and
 * are for a person to read, not to redrive.
 */
export function readDiscardedBatch(
  body: string,
): readonly [DiscardedBatch, ...DiscardedBatch[]] | { readonly notABatch: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { notABatch: 'not JSON' };
  }
  if (json !== null && typeof json === 'object' && 'reason' in json && 'data_base64' in json) {
    return { notABatch: `a record the aggregator dead-lettered (${String(json.reason).split(':')[0]})` };
  }
  if (json !== null && typeof json === 'object' && 'KafkaBatchInfo' in json) return readKafkaBatch(json);
  const parsed = kinesisOnFailureRecordSchema.safeParse(json);
  if (!parsed.success) return { notABatch: `not a Kinesis on-failure record (${firstIssue(parsed.error)})` };
  const info = parsed.data.KinesisBatchInfo;
  if (BigInt(info.startSequenceNumber) > BigInt(info.endSequenceNumber)) {
    return { notABatch: 'a Kinesis on-failure record whose start sequence number is after its end' };
  }
  return [
    {
      kind: 'kinesis',
      streamArn: info.streamArn,
      shardId: info.shardId,
      from: info.startSequenceNumber,
      to: info.endSequenceNumber,
      size: info.batchSize,
      condition: parsed.data.requestContext.condition,
    },
  ];
}

function readKafkaBatch(
  json: object,
): readonly [DiscardedBatch, ...DiscardedBatch[]] | { readonly notABatch: string } {
  const parsed = kafkaOnFailureRecordSchema.safeParse(json);
  if (!parsed.success) return { notABatch: `not a Kafka on-failure record (${firstIssue(parsed.error)})` };
  const { eventSourceArn, recordsInfo } = parsed.data.KafkaBatchInfo;
  const ranges: DiscardedKafkaRange[] = [];
  for (const [key, info] of Object.entries(recordsInfo)) {
    if (!/^.+-\d+$/.test(key)) {
      return {
        notABatch: `a Kafka on-failure record naming ${JSON.stringify(key)}, not <topic>-<partition>`,
      };
    }
    // Topic names may hold dashes; the partition is what follows the last one.
    const cut = key.lastIndexOf('-');
    const from = BigInt(info.firstRecordOffset);
    const to = BigInt(info.lastRecordOffset);
    if (from > to) {
      return { notABatch: `a Kafka on-failure record whose first offset in ${key} is after its last` };
    }
    ranges.push({
      kind: 'kafka',
      clusterArn: eventSourceArn,
      topic: key.slice(0, cut),
      partition: Number(key.slice(cut + 1)),
      shardId: key,
      from: info.firstRecordOffset,
      to: info.lastRecordOffset,
      size: Number(to - from + 1n),
      condition: parsed.data.requestContext.condition,
      ...(info.firstRecordTimestamp === undefined ? {} : { firstTimestampMs: info.firstRecordTimestamp }),
      ...(info.lastRecordTimestamp === undefined ? {} : { lastTimestampMs: info.lastRecordTimestamp }),
    });
  }
  const [first, ...rest] = ranges;
  return first ? [first, ...rest] : { notABatch: 'a Kafka on-failure record naming no partition' };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.')}: ${issue?.message}`;
}
