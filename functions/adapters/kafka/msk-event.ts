import type { KinesisStreamRecord } from 'aws-lambda';
import { z } from 'zod';
import { type DeadLetter, unusableEntryLetter } from '../sinks/dead-letter-sink.js';

/**
 * One record of an Amazon MSK (or self-managed Kafka) event, the fields the aggregator reads.
 * `key` and `value` are base64; a record produced without a key has none, a tombstone no value.
 */
const kafkaRecordSchema = z.looseObject({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  offset: z.number().int().min(0),
  timestamp: z.number(),
  key: z.string().nullish(),
  value: z.string().nullish(),
});

/** A Kafka record as Lambda's Kafka event carries it. */
export type KafkaRecord = z.output<typeof kafkaRecordSchema>;

const mskEventSchema = z.looseObject({
  eventSource: z.enum(['aws:kafka', 'SelfManagedKafka']),
  eventSourceArn: z.string().optional(),
  records: z.record(z.string(), z.array(z.unknown())),
});

/** Whether an invocation event comes from a Kafka event source mapping (MSK or self-managed). */
export function isKafkaEvent(event: unknown): boolean {
  const source = (event as { eventSource?: unknown } | null)?.eventSource;
  return source === 'aws:kafka' || source === 'SelfManagedKafka';
}

/** A Kafka batch mapped onto the aggregator's records, and the entries it cannot use. */
export interface SplitKafkaEvent {
  readonly records: KinesisStreamRecord[];
  readonly unusable: DeadLetter[];
}

/**
 * The aggregator speaks one record shape, the Kinesis event's: a Kafka record maps onto it with
 * the partition (`<topic>-<partition>`, the event's own key for it) as the shard, the offset as
 * the sequence number, the Kafka key as the partition key (the producer keys by the pipeline key,
 * as on Kinesis) and the record's timestamp as the arrival time. Checkpoints, dedup by position and
 * dead letters then work unchanged, per partition.
 */
export function toStreamRecord(record: KafkaRecord, eventSourceArn: string): KinesisStreamRecord {
  const partition = `${record.topic}-${record.partition}`;
  const offset = String(record.offset);
  return {
    eventID: `${partition}:${offset}`,
    eventName: 'aws:kafka:record',
    eventSource: 'aws:kafka',
    eventSourceARN: eventSourceArn,
    eventVersion: '1.0',
    invokeIdentityArn: '',
    awsRegion: '',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.key ? Buffer.from(record.key, 'base64').toString('utf8') : '',
      sequenceNumber: offset,
      // A tombstone (no value) goes on as empty data: the aggregator dead-letters it as not JSON,
      // at its offset, so a retried batch does not dead-letter it again.
      data: record.value ?? '',
      approximateArrivalTimestamp: record.timestamp / 1000,
    },
  };
}

/**
 * Checks a Kafka event before the aggregator trusts it and maps its records, partition by
 * partition in offset order. An event that is not a Kafka batch and an entry that is not a Kafka
 * record come back as dead letters with the reason: nothing is thrown and nothing is lost.
 */
export function splitKafkaEvent(event: unknown, pipeline: string): SplitKafkaEvent {
  const records: KinesisStreamRecord[] = [];
  const unusable: DeadLetter[] = [];
  const parsed = mskEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(event)'}: ${issue.message}` : 'invalid';
    const reason = `not-a-kafka-event: expected {"eventSource":"aws:kafka","records":{...}} (${where})`;
    return { records, unusable: [unusableEntryLetter(pipeline, event, reason)] };
  }
  const arn = parsed.data.eventSourceArn ?? '';
  for (const [partition, entries] of Object.entries(parsed.data.records)) {
    const mapped: KinesisStreamRecord[] = [];
    entries.forEach((entry, index) => {
      const record = kafkaRecordSchema.safeParse(entry);
      if (!record.success) {
        const issue = record.error.issues[0];
        const where = issue ? `${issue.path.join('.') || '(record)'}: ${issue.message}` : 'invalid';
        unusable.push(
          unusableEntryLetter(
            pipeline,
            entry,
            `not-a-kafka-record: records["${partition}"][${index}] ${where}`,
            partition,
          ),
        );
        return;
      }
      mapped.push(toStreamRecord(record.data, arn));
    });
    // Lambda sends a partition's records in offset order; a replayed file may not.
    mapped.sort((a, b) => Number(a.kinesis.sequenceNumber) - Number(b.kinesis.sequenceNumber));
    records.push(...mapped);
  }
  return { records, unusable };
}
