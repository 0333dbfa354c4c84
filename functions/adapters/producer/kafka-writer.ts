import type { Message, ProducerRecord, RecordMetadata } from 'kafkajs';
import { chunkBySize } from '../sinks/batching.js';
import type { ProducerEntry, PutRecordsReport } from './put-records.js';
import type { RecordWriter } from './record-writer.js';

/** The calls of a kafkajs producer the writer makes (a real one, or a stub). */
export interface KafkaProducerLike {
  connect(): Promise<void>;
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
}

/**
 * Kafka's default `message.max.bytes` (1 MiB + 12 bytes of overhead): a larger record is refused by
 * the broker, so it is refused here first with the reason. MSK Serverless allows up to 8 MiB when
 * the topic is configured for it, but the aggregator's dead letters and Firehose's 1,000 KiB
 * records would not carry such a record anyway.
 */
export const KAFKA_MAX_RECORD_BYTES = 1024 * 1024;

/** Records per produce request: one request per chunk keeps a failure's blast radius small. */
const CHUNK = { maxRecords: 500, maxBytes: 5 * 1024 * 1024 };

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
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          for (const { index } of chunk) rejected.push({ index, reason });
        }
      }
      accepted.sort((a, b) => a - b);
      rejected.sort((a, b) => a.index - b.index);
      return { accepted, rejected, calls };
    },
  };
}
