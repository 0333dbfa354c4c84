import type { Kafka } from 'kafkajs';
import type { CloudAssembly, TemplateResource } from '../template/index.js';
import { ProvisionError, type ProvisionReport } from './provision.js';

/** One `Custom::KafkaTopic` of the template, as the local broker gets it. */
export interface KafkaTopicSpec {
  /** `<stack>/<logicalId>`. */
  readonly id: string;
  readonly topic: string;
  readonly numPartitions: number;
  readonly configs: Readonly<Record<string, string>>;
}

/**
 * Reads a `Custom::KafkaTopic`. Only TopicName, NumPartitions and Configs are resolved: the other
 * properties (ServiceToken, BootstrapServers) are tokens of AWS resources the local runtime does
 * not have, and ReplicationFactor is 1 on a single broker.
 */
export function readKafkaTopic(resource: TemplateResource): KafkaTopicSpec {
  const id = `${resource.stackName}/${resource.logicalId}`;
  const get = (name: string) =>
    resource.stack.resolve(resource.rawProperties[name], `${id}.Properties.${name}`);
  const topic = get('TopicName');
  if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw new ProvisionError(
      `${id}: TopicName must be a literal Kafka topic name (given ${JSON.stringify(topic)})`,
    );
  }
  const partitions = Number(get('NumPartitions'));
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new ProvisionError(
      `${id}: NumPartitions must be a positive integer (given ${JSON.stringify(get('NumPartitions'))})`,
    );
  }
  const raw = get('Configs') ?? {};
  const valid =
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    Object.values(raw).every((v) => ['string', 'number'].includes(typeof v));
  if (!valid)
    throw new ProvisionError(`${id}: Configs must map names to values (given ${JSON.stringify(raw)})`);
  const configs = Object.fromEntries(Object.entries(raw as object).map(([k, v]) => [k, String(v)]));
  return { id, topic, numPartitions: partitions, configs };
}

/**
 * Creates every `Custom::KafkaTopic` of the template on the local broker (replication factor 1,
 * the template's partitions and configs) unless it exists, and waits for the partitions' leaders.
 * Idempotent. An existing topic with fewer partitions than the template asks for is an error: the
 * deployed handler would add partitions, but locally that would silently move keys between
 * partitions of data already there.
 */
export async function provisionKafkaTopics(assembly: CloudAssembly, kafka: Kafka): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], existing: [] };
  const specs = assembly.resources('Custom::KafkaTopic').map(readKafkaTopic);
  if (specs.length === 0) return report;
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Looked up first: creating an existing topic makes kafkajs log an error before it says so.
    const known = new Set(await admin.listTopics());
    for (const spec of specs) {
      const created =
        !known.has(spec.topic) &&
        (await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: spec.topic,
              numPartitions: spec.numPartitions,
              replicationFactor: 1,
              configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
            },
          ],
        }));
      if (created) {
        report.created.push(spec.topic);
        continue;
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: [spec.topic] });
      const has = topics[0]?.partitions.length ?? 0;
      if (has < spec.numPartitions) {
        throw new ProvisionError(
          `${spec.id}: topic ${spec.topic} exists with ${has} partition(s), the template asks for ${spec.numPartitions}; delete the topic on the local broker (or reset the local Kafka data) to recreate it`,
        );
      }
      report.existing.push(spec.topic);
    }
  } finally {
    await admin.disconnect();
  }
  return report;
}
