import type { Admin, Kafka } from 'kafkajs';

/** Runs `work` with a connected admin client of the broker, and disconnects it afterwards. */
export async function withKafkaAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Whether the broker has the topic. */
export function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  return withKafkaAdmin(kafka, async (admin) => (await admin.listTopics()).includes(topic));
}
