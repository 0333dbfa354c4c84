import type { Kafka, Producer } from 'kafkajs';
import { kafkaWriter } from '../../../functions/adapters/producer/kafka-writer.js';
import { withKafkaAdmin } from '../../services/kafka-admin.js';
import type { ProduceTarget } from './producer.js';

/** Records a topic holds now: per partition, the high watermark less the first offset kept. */
export function countTopicRecords(kafka: Kafka, topic: string): Promise<number> {
  return withKafkaAdmin(kafka, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  });
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
