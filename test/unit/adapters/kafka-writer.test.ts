import type { ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KAFKA_MAX_RECORD_BYTES, kafkaWriter } from '../../../functions/adapters/producer/kafka-writer.js';

/** A producer stub that records each request and fails the ones `fail` picks. */
function stubProducer(fail: (call: number) => Error | undefined = () => undefined) {
  const sent: ProducerRecord[] = [];
  let connects = 0;
  return {
    sent,
    connects: () => connects,
    producer: {
      async connect() {
        connects += 1;
      },
      async send(record: ProducerRecord) {
        const error = fail(sent.length);
        sent.push(record);
        if (error) throw error;
        return [];
      },
    },
  };
}

const entry = (key: string, bytes: number) => ({ partitionKey: key, data: Buffer.alloc(bytes, 0x61) });

describe('kafkaWriter', () => {
  it('refuses a record larger than a record batch may be, with the reason, and writes the others', async () => {
    // Prepare
    const stub = stubProducer();
    const writer = kafkaWriter(stub.producer);

    // Act
    const report = await writer.write('t', [
      entry('a', 10),
      entry('b', KAFKA_MAX_RECORD_BYTES),
      entry('c', 10),
    ]);

    // Assess
    expect(report.accepted).toEqual([0, 2]);
    expect(report.rejected).toEqual([
      { index: 1, reason: `oversized: value and key must be at most 1000000 bytes (given 1000001)` },
    ]);
    expect(stub.sent.flatMap((r) => r.messages.map((m) => m.key))).toEqual(['a', 'c']);
  });

  it('keeps each request within one record batch, keyed, acks from all replicas, connecting once', async () => {
    // Prepare: three records of 400 KB cannot share one request of at most 1,000,000 bytes
    const stub = stubProducer();
    const writer = kafkaWriter(stub.producer);

    // Act
    const report = await writer.write('t', [entry('a', 400_000), entry('b', 400_000), entry('c', 400_000)]);

    // Assess
    expect(report).toMatchObject({ accepted: [0, 1, 2], rejected: [], calls: 2 });
    expect(stub.sent.map((r) => r.messages.map((m) => m.key))).toEqual([['a', 'b'], ['c']]);
    expect(stub.sent.every((r) => r.acks === -1 && r.topic === 't')).toBe(true);
    expect(stub.connects()).toBe(1);
  });

  it("reports a failed request's records rejected with the broker's error, and writes the next request", async () => {
    // Prepare
    const stub = stubProducer((call) =>
      call === 0
        ? Object.assign(new Error('Broker not available'), { name: 'KafkaJSNumberOfRetriesExceeded' })
        : undefined,
    );
    const writer = kafkaWriter(stub.producer);

    // Act
    const report = await writer.write('t', [entry('a', 600_000), entry('b', 600_000)]);

    // Assess
    expect(report.accepted).toEqual([1]);
    expect(report.rejected).toEqual([
      { index: 0, reason: 'KafkaJSNumberOfRetriesExceeded: Broker not available' },
    ]);
  });
});
