import {
  type ProducerEntry,
  type PutRecordsOptions,
  type PutRecordsReport,
  putRecords,
} from './put-records.js';

/**
 * Where the producer writes enveloped events: a Kinesis stream or a Kafka topic, by name. Never
 * throws for entries it could not write once any entry is written: they come back rejected with
 * the reason. Kinesis may still throw a whole-call error (missing permission, unknown stream)
 * before anything is written, when failing the whole request cannot make a resend duplicate.
 */
export interface RecordWriter {
  write(stream: string, entries: readonly ProducerEntry[]): Promise<PutRecordsReport>;
}

/** Kinesis PutRecords, batched and retried (see put-records.ts). */
export function kinesisWriter(options: Omit<PutRecordsOptions, 'streamName'>): RecordWriter {
  return { write: (streamName, entries) => putRecords(entries, { ...options, streamName }) };
}
