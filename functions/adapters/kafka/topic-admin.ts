import { type Admin, ConfigResourceTypes, type ITopicConfig } from 'kafkajs';
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
  'createTopics' | 'alterConfigs' | 'deleteTopics' | 'fetchTopicMetadata' | 'listTopics'
>;

async function partitionCount(admin: TopicAdmin, topic: string): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.length ?? 0;
}

/** What {@link ensureTopic} did to a topic that existed. */
export interface TopicOutcome {
  readonly created: boolean;
  /** The partitions the topic has (kept as they were when it existed). */
  readonly partitions: number;
  /** Why the topic does not have the partitions asked for, when it does not. */
  readonly warning?: string;
}

/**
 * Makes the topic exist: creates it with the partitions and configs asked for, or applies the
 * configs to the existing one. An existing topic keeps its partitions: adding some would move keys
 * to other partitions and split their open windows between two partitions' states (there is no
 * handover between Kafka partitions), and Kafka cannot remove any. Succeeding with a warning rather
 * than failing keeps a CloudFormation rollback (which asks for the old count) from getting stuck.
 */
export async function ensureTopic(admin: TopicAdmin, props: TopicProperties): Promise<TopicOutcome> {
  const configEntries = Object.entries(props.Configs ?? {}).map(([name, value]) => ({ name, value }));
  const config: ITopicConfig = {
    topic: props.TopicName,
    numPartitions: props.NumPartitions,
    replicationFactor: props.ReplicationFactor,
    configEntries,
  };
  if (await admin.createTopics({ topics: [config], waitForLeaders: true })) {
    return { created: true, partitions: props.NumPartitions };
  }
  if (configEntries.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: props.TopicName, configEntries }],
    });
  }
  const partitions = await partitionCount(admin, props.TopicName);
  return partitions === props.NumPartitions
    ? { created: false, partitions }
    : {
        created: false,
        partitions,
        warning: `topic ${props.TopicName} keeps its ${partitions} partitions (asked for ${props.NumPartitions}): changing them would move keys between partitions and split their open windows; use a new topic (another stage) to change the count`,
      };
}

/**
 * Deletes the topic; one that is already gone is not an error (a retried delete). Asked first,
 * because kafkajs retries a delete of an unknown topic for seconds before giving up.
 */
export async function deleteTopic(admin: TopicAdmin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) return;
  await admin.deleteTopics({ topics: [topic] });
}
