import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Admin, Kafka } from 'kafkajs';
import type { CloudAssembly } from '../template/index.js';
import { provisionKafkaTopics } from './kafka-topics.js';
import { type ProvisionClients, ProvisionError, provisionStream } from './provision.js';

/** What a pipeline's fresh start empties. */
export interface ResetTarget {
  /** Empties the stream or topic (see resetKinesisStream, resetKafkaTopic). */
  readonly resetStream: () => Promise<void>;
  readonly deadLetterQueueUrl: string;
  /** bucket -> prefixes to empty. */
  readonly prefixes: ReadonlyArray<{ readonly bucket: string; readonly prefix: string }>;
}

/** Deletes every object (current versions) under a prefix; returns how many. */
export async function emptyPrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

/**
 * Gives a new run a clean pipeline: its stream or topic emptied (it keeps its records, and the
 * mapping starts at TRIM_HORIZON), its state and warehouse prefixes emptied, its dead-letter queue
 * recreated. Without this a second run would aggregate the first run's records again and the
 * reconciliation would see both runs' windows.
 */
export async function resetPipeline(clients: Pick<ProvisionClients, 's3' | 'sqs'>, target: ResetTarget) {
  await target.resetStream();
  for (const { bucket, prefix } of target.prefixes) await emptyPrefix(clients.s3, bucket, prefix);
  const queueName = target.deadLetterQueueUrl.split('/').pop() ?? '';
  const url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
  // Recreated rather than purged: PurgeQueue may be refused for 60 s after the previous purge.
  if (url) await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
}

/** Deletes the Kinesis stream and creates it again, as the template has it. */
export async function resetKinesisStream(
  assembly: CloudAssembly,
  kinesis: KinesisClient,
  streamName: string,
) {
  const stream = assembly.resources('AWS::Kinesis::Stream').find((r) => r.physicalName === streamName);
  if (!stream) throw new ProvisionError(`stream ${streamName} is not in the template`);
  await kinesis
    .send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }))
    .catch((error: unknown) => {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') break;
      throw error;
    }
    if (Date.now() > deadline) throw new ProvisionError(`stream ${streamName} was not deleted in 60 s`);
    await sleep(300);
  }
  await provisionStream(kinesis, stream, { created: [], existing: [] });
}

/** How long a group may keep the members of a run that just ended (its consumers' session timeout). */
const GROUP_EMPTY_TIMEOUT_MS = 45_000;

/**
 * Deletes the groups that exist, each once it has no members: a run that just ended may still be
 * listed as a member until its session times out (a process killed without leaving the group).
 */
async function deleteGroupsOnceEmpty(admin: Admin, groupIds: readonly string[]): Promise<void> {
  const known = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  const groups = groupIds.filter((id) => known.has(id));
  if (groups.length === 0) return;
  const deadline = Date.now() + GROUP_EMPTY_TIMEOUT_MS;
  for (;;) {
    const busy = (await admin.describeGroups(groups)).groups.filter(
      (g) => g.state !== 'Empty' && g.state !== 'Dead',
    );
    if (busy.length === 0) break;
    if (Date.now() > deadline) {
      throw new ProvisionError(
        `consumer group ${busy[0]?.groupId} still has members after ${GROUP_EMPTY_TIMEOUT_MS / 1000} s: is another run of this pipeline still running?`,
      );
    }
    await sleep(500);
  }
  try {
    await admin.deleteGroups(groups);
  } catch (error) {
    // A group can vanish meanwhile (the broker drops an empty group without offsets): not an error.
    const failed = (error as { groups?: { error?: { type?: string } }[] }).groups ?? [];
    if (failed.length === 0 || failed.some((g) => g.error?.type !== 'GROUP_ID_NOT_FOUND')) throw error;
  }
}

/**
 * Deletes the topic and the consumer groups that read it (the mapping's and the raw delivery's:
 * their committed offsets would point past the new topic's start), then creates the template's
 * topics again.
 */
export async function resetKafkaTopic(
  assembly: CloudAssembly,
  kafka: Kafka,
  topic: string,
  groupIds: readonly string[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Groups first: deleting the topic drops their offsets, and the broker may then remove an
    // empty group on its own while it is being deleted.
    await deleteGroupsOnceEmpty(admin, groupIds);
    if ((await admin.listTopics()).includes(topic))
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    // Deletion is asynchronous on the broker: creating the topic again too soon fails.
    const deadline = Date.now() + 30_000;
    while ((await admin.listTopics()).includes(topic)) {
      if (Date.now() > deadline) throw new ProvisionError(`topic ${topic} was not deleted in 30 s`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
  await provisionKafkaTopics(assembly, kafka);
}
