import type { Kafka } from 'kafkajs';
import type { StreamBacklog } from '../../../functions/adapters/aggregator/stream-backlog.js';
import { KafkaPartitionBacklog } from '../../../functions/adapters/kafka/partition-backlog.js';
import { KinesisShardBacklog } from '../../../functions/adapters/kinesis/shard-backlog.js';
import { withKafkaAdmin } from '../../services/kafka-admin.js';
import { deliveryStreamResources, mskConsumerGroupId } from '../firehose/index.js';
import { provisionKafkaTopics } from '../provision/kafka-topics.js';
import type { ProvisionReport } from '../provision/provision.js';
import { resetKafkaTopic, resetKinesisStream } from '../provision/reset.js';
import type { CloudAssembly } from '../template/index.js';
import type { LocalClients } from './clients.js';
import { assertTopicAlive } from './kafka-runtime.js';
import { kafkaTarget } from './kafka-target.js';
import { kafkaWrittenByOthers } from './kafka-written.js';
import { consumedTips, recordsWrittenSince, type WrittenByOthers } from './keep-running.js';
import type { LocalstackWatch } from './localstack-watch.js';
import { isPipelineDelivery, type PipelineResources } from './pipeline-resources.js';
import { kinesisTarget, type ProduceTarget } from './producer.js';
import { kafkaPlacement, kinesisPlacement, type Placement } from './reconcile.js';
import { assertStreamAlive, shardRanges } from './stream-checks.js';

/** The run's stream (Kinesis) or topic (MSK): what `tributary start` does to it outside the runtime. */
export interface RunStream extends WrittenByOthers {
  readonly name: string;
  /** Creates what LocalStack's provisioning does not (the template's Kafka topics). */
  provision(): Promise<ProvisionReport>;
  /** Throws a RunFailedError when it is gone (LocalStack or the broker restarted empty). */
  assertAlive(): Promise<void>;
  /** Empties it for a new run. */
  reset(): Promise<void>;
  /** Where the demo producer writes; close it once the input is written. */
  target(): ProduceTarget & { close(): Promise<void> };
  /** How it places keys, for the reconciliation. */
  placement(): Promise<Placement>;
  /**
   * What the idle flush sees of it (records not delivered yet), as the deployed flush reads its
   * stream; `maxRecordAgeMs` is the mapping's (Infinity for none). Close it after the flush.
   */
  backlog(maxRecordAgeMs: number): StreamBacklog & { close(): Promise<void> };
}

/** The run's Kinesis stream in LocalStack. */
export function kinesisRunStream(
  assembly: CloudAssembly,
  clients: LocalClients,
  streamName: string,
  watch: LocalstackWatch,
): RunStream {
  return {
    name: streamName,
    provision: async () => ({ created: [], existing: [] }),
    assertAlive: () => assertStreamAlive(clients, streamName, { watch }),
    reset: () => resetKinesisStream(assembly, clients.kinesis, streamName),
    target: () => ({ ...kinesisTarget(clients.kinesis, streamName), close: async () => {} }),
    placement: async () => kinesisPlacement(await shardRanges(clients, streamName)),
    consumedPositions: async (runtime) => consumedTips(runtime),
    recordsWrittenSince: (tips, pipelineName) =>
      recordsWrittenSince(clients.kinesis, streamName, pipelineName, tips),
    backlog: (maxRecordAgeMs) =>
      Object.assign(new KinesisShardBacklog({ client: clients.kinesis, streamName, maxRecordAgeMs }), {
        close: async () => {},
      }),
  };
}

/** The run's topic on the local Kafka broker. */
export function kafkaRunStream(
  assembly: CloudAssembly,
  kafka: Kafka,
  resources: PipelineResources,
  watch: LocalstackWatch,
): RunStream {
  const topic = resources.streamName;
  // The groups that read the topic: the mapping's, and the raw delivery stream's.
  const groups = [
    ...(resources.mapping.transport === 'msk' ? [resources.mapping.config.groupId] : []),
    ...deliveryStreamResources(assembly)
      .filter(
        (r) =>
          (r.properties as { DeliveryStreamType?: unknown }).DeliveryStreamType === 'MSKAsSource' &&
          isPipelineDelivery(r.properties, resources),
      )
      .map((r) => mskConsumerGroupId(r.physicalName)),
  ];
  const mapping = resources.mapping;
  if (mapping.transport !== 'msk') throw new Error(`pipeline ${resources.pipeline} is not on MSK`);
  return {
    ...kafkaWrittenByOthers(kafka, topic, mapping.config.groupId),
    name: topic,
    provision: () => provisionKafkaTopics(assembly, kafka),
    assertAlive: () => assertTopicAlive({ kafka, watch }, topic),
    reset: () => resetKafkaTopic(assembly, kafka, topic, groups),
    target: () => kafkaTarget(kafka, topic),
    placement: () =>
      withKafkaAdmin(kafka, async (admin) => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return kafkaPlacement(topic, topics[0]?.partitions.length ?? 0);
      }),
    backlog(maxRecordAgeMs) {
      const admin = kafka.admin();
      const groupId = mapping.config.groupId;
      return Object.assign(new KafkaPartitionBacklog({ admin, topic, maxRecordAgeMs, groupId }), {
        close: () => admin.disconnect(),
      });
    },
  };
}
