import type { Message, ProducerRecord, RecordMetadata } from 'kafkajs';
import { describeError } from '../errors.js';
import { chunkBySize } from '../sinks/batching.js';
import type { ProducerEntry, PutRecordsReport } from './put-records.js';
import type { RecordWriter } from './record-writer.js';

/** The calls of a kafkajs producer the writer makes (a real one, or a stub). */
export interface KafkaProducerLike {
  connect(): Promise<void>;
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

/**
 * A record's value and key at most: the broker's `max.message.bytes` (1,048,588 by default, MSK
 * Serverless included) bounds a partition's whole record batch, record overhead included. A
 * larger record is refused here first, with the reason.
 */
export const KAFKA_MAX_RECORD_BYTES = 1_000_000;

/**
 * Records per produce request, and their bytes: no more than one record batch may hold, so no
 * partition's batch in the request can exceed `max.message.bytes` (kafkajs reports the first
 * partition error for the whole request, which would reject records already written).
 */
const CHUNK = { maxRecords: 500, maxBytes: KAFKA_MAX_RECORD_BYTES };

const sizeOf = (entry: ProducerEntry) => entry.data.length + Buffer.byteLength(entry.partitionKey);

/**
 * Writes to a Kafka topic keyed by the partition key, so a key's events stay in one partition, in
 * order (Kafka's default partitioner hashes the key). `acks: -1` waits for every in-sync replica.
 * kafkajs retries a failed request itself (with the idempotent producer the broker drops the
 * duplicates a retry would make); a chunk that still fails is reported rejected, entry by entry.
 */
export function kafkaWriter(producer: KafkaProducerLike): RecordWriter {
  let connecting: Promise<void> | undefined;
  const connect = async () => {
    connecting ??= producer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    await connecting;
  };
  return {
    async write(topic, entries): Promise<PutRecordsReport> {
      const accepted: number[] = [];
      const rejected: { index: number; reason: string }[] = [];
      const sendable: { entry: ProducerEntry; index: number }[] = [];
      entries.forEach((entry, index) => {
        const size = sizeOf(entry);
        if (size > KAFKA_MAX_RECORD_BYTES) {
          rejected.push({
            index,
            reason: `oversized: value and key must be at most ${KAFKA_MAX_RECORD_BYTES} bytes (given ${size})`,
          });
        } else sendable.push({ entry, index });
      });
      let calls = 0;
      for (const chunk of chunkBySize(sendable, CHUNK.maxRecords, CHUNK.maxBytes, (s) => sizeOf(s.entry))) {
        const messages: Message[] = chunk.map(({ entry }) => ({
          key: entry.partitionKey,
          value: entry.data,
        }));
        calls += 1;
        try {
          await connect();
          await producer.send({ topic, acks: -1, messages });
          for (const { index } of chunk) accepted.push(index);
        } catch (error) {
          const reason = describeError(error);
          for (const { index } of chunk) rejected.push({ index, reason });
        }
      }
      accepted.sort((a, b) => a - b);
      rejected.sort((a, b) => a.index - b.index);
      return { accepted, rejected, calls };
    },
  };
}
