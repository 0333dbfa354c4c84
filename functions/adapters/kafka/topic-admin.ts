import type { Admin, ITopicConfig } from 'kafkajs';
import { z } from 'zod';

/** The properties of a `Custom::KafkaTopic` resource (CloudFormation passes numbers as strings). */
export const topicPropertiesSchema = z.object({
  TopicName: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'letters, digits, ".", "_" or "-", at most 249'),
  NumPartitions: z.coerce.number().int().min(1).max(1000),
  ReplicationFactor: z.coerce.number().int().min(1).max(3),
  Configs: z.record(z.string(), z.string()).optional(),
  BootstrapServers: z.string().min(1),
});

export type TopicProperties = z.output<typeof topicPropertiesSchema>;

/** The calls of a kafkajs admin client this module makes. */
export type TopicAdmin = Pick<
  Admin,
  'createTopics' | 'createPartitions' | 'deleteTopics' | 'fetchTopicMetadata' | 'listTopics'
>;

async function partitionCount(admin: TopicAdmin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length ?? 0;
}

/**
 * Makes the topic exist with at least `NumPartitions` partitions: creates it, or adds partitions to
 * an existing one. Kafka cannot remove partitions (keys would move between them), so asking for
 * fewer than the topic has is an error that names both counts.
 */
export async function ensureTopic(admin: TopicAdmin, props: TopicProperties): Promise<void> {
  const config: ITopicConfig = {
    topic: props.TopicName,
    numPartitions: props.NumPartitions,
    replicationFactor: props.ReplicationFactor,
    configEntries: Object.entries(props.Configs ?? {}).map(([name, value]) => ({ name, value })),
  };
  const created = await admin.createTopics({ topics: [config], waitForLeaders: true });
  if (created) return;
  const current = await partitionCount(admin, props.TopicName);
  if (current < props.NumPartitions) {
    await admin.createPartitions({
      topicPartitions: [{ topic: props.TopicName, count: props.NumPartitions }],
    });
  } else if (current > props.NumPartitions) {
    throw new Error(
      `topic ${props.TopicName} has ${current} partitions; Kafka cannot remove partitions (asked for ${props.NumPartitions})`,
    );
  }
}

/**
 * Deletes the topic; one that is already gone is not an error (a retried delete). Asked first,
 * because kafkajs retries a delete of an unknown topic for seconds before giving up.
 */
export async function deleteTopic(admin: TopicAdmin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) return;
  await admin.deleteTopics({ topics: [topic] });
}
