import type { Kafka } from 'kafkajs';

/**
 * Produces messages whose values are 0..count-1, in batches of 250 (kafkajs has no linger.ms or
 * batch.size: batching is up to the caller), keyed so they spread over the partitions.
 */
export async function produceNumbered(client: Kafka, topic: string, count: number): Promise<void> {
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let start = 0; start < count; start += 250) {
      const messages = Array.from({ length: Math.min(250, count - start) }, (_, i) => ({
        key: `key-${(start + i) % 17}`,
        value: String(start + i),
      }));
      await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the beginning in a new consumer group until `expected` messages arrived or
 * the deadline passed, then commits the next offset of each partition explicitly (autoCommit is
 * off, so what is committed is exactly what was read). Returns the values read.
 */
export async function consumeAll(
  client: Kafka,
  topic: string,
  groupId: string,
  expected: number,
  { timeoutMs }: { timeoutMs: number },
): Promise<number[]> {
  // A short fetch wait: disconnect waits for the fetch in flight, 5 s by default.
  const consumer = client.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 250,
  });
  const values: number[] = [];
  const next = new Map<number, string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`group ${groupId} read ${values.length} of ${expected} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            values.push(Number(message.value?.toString()));
            next.set(partition, (BigInt(message.offset) + 1n).toString());
            if (values.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset })));
    return values;
  } finally {
    await consumer.disconnect();
  }
}
