import type { Kafka, Producer } from 'kafkajs';
import { kafkaWriter } from '../../../functions/adapters/producer/kafka-writer.js';
import type { ProduceTarget } from './producer.js';

/** Records a topic holds now: per partition, the high watermark less the first offset kept. */
export async function countTopicRecords(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * A Kafka topic as the producer's target, through the producer adapter the Lambda uses (keyed by
 * the pipeline key, idempotent). `close()` disconnects the producer once the input is written.
 */
export function kafkaTarget(kafka: Kafka, topic: string): ProduceTarget & { close(): Promise<void> } {
  const producer: Producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
  return {
    writer: kafkaWriter(producer),
    streamName: topic,
    countRecords: () => countTopicRecords(kafka, topic),
    close: () => producer.disconnect(),
  };
}
