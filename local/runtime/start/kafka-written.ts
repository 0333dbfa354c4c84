import type { Kafka } from 'kafkajs';
import { withKafkaAdmin } from '../../services/kafka-admin.js';
import {
  type RecordsWrittenByOthers,
  type WrittenByOthers,
  WrittenRecordsCollector,
} from './keep-running.js';
import { RunFailedError } from './run-failed-error.js';

/** How long reading what others wrote may take before the run fails (it is a few records, locally). */
const READ_TIMEOUT_MS = 60_000;

/**
 * The topic's side of a --keep-running run: the mapping's consumer group's committed offsets once
 * it caught up (the next offset of each partition it had not processed: exact, where the topic's
 * end could already hold a record written in the meantime), and the records from those offsets to
 * the partitions' ends.
 */
export function kafkaWrittenByOthers(kafka: Kafka, topic: string, groupId: string): WrittenByOthers {
  return {
    consumedPositions: () =>
      withKafkaAdmin(kafka, async (admin) => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const positions: Record<string, string> = {};
        // -1: nothing committed in that partition (it held nothing): read it from its start.
        for (const p of committed?.partitions ?? []) if (p.offset !== '-1') positions[p.partition] = p.offset;
        return positions;
      }),
    recordsWrittenSince: (positions, pipelineName) => readFrom(kafka, topic, positions, pipelineName),
  };
}

/** Each partition's records from `positions` (its start when absent) to its current end. */
async function readFrom(
  kafka: Kafka,
  topic: string,
  positions: Readonly<Record<string, string>>,
  pipelineName: string,
): Promise<RecordsWrittenByOthers> {
  const collector = new WrittenRecordsCollector(pipelineName);
  const admin = kafka.admin();
  await admin.connect();
  // A group of its own, read from the beginning and deleted afterwards: seeking a kafkajs consumer
  // per partition would need the group's assignment first, and the topic holds only this run.
  const groupId = `tributary-keep-running-${process.pid}-${Date.now()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250 });
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    const from = (partition: number) => BigInt(positions[partition] ?? '0');
    const pending = new Set([...ends].filter(([p, end]) => end > from(p)).map(([p]) => p));
    if (pending.size === 0) return collector.collected();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new RunFailedError(
                `could not read what others wrote to ${topic} within ${READ_TIMEOUT_MS} ms (partitions ${[...pending].join(', ')} unfinished)`,
              ),
            ),
          READ_TIMEOUT_MS,
        );
        consumer
          .run({
            // Whole batches: a partition is done once a batch reaches the end noted above, even when
            // its last offsets are not records (transaction markers).
            eachBatch: async ({ batch }) => {
              const end = ends.get(batch.partition) ?? 0n;
              for (const message of batch.messages) {
                const offset = BigInt(message.offset);
                if (offset >= from(batch.partition) && offset < end) {
                  collector.add(message.value, Number(message.timestamp));
                }
              }
              const next = BigInt(batch.lastOffset()) + 1n;
              if (next >= end && pending.delete(batch.partition) && pending.size === 0) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      clearTimeout(timer);
    }
    return collector.collected();
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
