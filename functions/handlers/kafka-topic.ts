import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { createKafkaClient, readKafkaEnv } from '../adapters/kafka/kafka-client.js';
import { deleteTopic, ensureTopic, topicPropertiesSchema } from '../adapters/kafka/topic-admin.js';

/** What the CDK provider framework expects back: the topic name is the physical id. */
export interface TopicResourceResponse {
  readonly PhysicalResourceId: string;
}

function propertiesOf(event: CloudFormationCustomResourceEvent) {
  const parsed = topicPropertiesSchema.safeParse(event.ResourceProperties);
  if (!parsed.success) throw new Error(`Custom::KafkaTopic properties: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The `Custom::KafkaTopic` on-event handler (MSK Serverless has no CloudFormation topic resource).
 * Create makes the topic (a retried Create finds it); Update applies the configs and keeps the
 * partitions (see ensureTopic); a new TopicName is a new physical id, so CloudFormation then
 * deletes the old topic. Delete removes the topic, as the
 * Kinesis transport's streams are removed with the stack.
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<TopicResourceResponse> {
  const props = propertiesOf(event);
  const env = readKafkaEnv({ ...process.env, KAFKA_BOOTSTRAP_SERVERS: props.BootstrapServers });
  const admin = createKafkaClient(env, 'tributary-topics').admin();
  await admin.connect();
  try {
    if (event.RequestType === 'Delete') {
      // A failed Create has no topic behind its physical id: nothing to delete.
      if (event.PhysicalResourceId === props.TopicName) await deleteTopic(admin, props.TopicName);
    } else {
      const outcome = await ensureTopic(admin, props);
      if (outcome.warning) console.warn(outcome.warning);
    }
    return { PhysicalResourceId: props.TopicName };
  } finally {
    await admin.disconnect();
  }
}
