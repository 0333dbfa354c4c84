import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { CloudAssembly } from '../template/index.js';
import { type ProvisionClients, ProvisionError, provisionStream } from './provision.js';

/** What a pipeline's fresh start empties. */
export interface ResetTarget {
  readonly streamName: string;
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
 * Gives a new run a clean pipeline in LocalStack: its stream deleted and created again (a stream
 * keeps its records, and the mapping starts at TRIM_HORIZON), its state and warehouse prefixes
 * emptied, its dead-letter queue recreated. Without this a second run would aggregate the first
 * run's records again and the reconciliation would see both runs' windows.
 */
export async function resetPipeline(
  assembly: CloudAssembly,
  clients: ProvisionClients,
  target: ResetTarget,
): Promise<void> {
  const stream = assembly.resources('AWS::Kinesis::Stream').find((r) => r.physicalName === target.streamName);
  if (!stream) throw new ProvisionError(`stream ${target.streamName} is not in the template`);
  await clients.kinesis
    .send(new DeleteStreamCommand({ StreamName: target.streamName, EnforceConsumerDeletion: true }))
    .catch((error: unknown) => {
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: target.streamName }));
    } catch (error) {
      if ((error as { name?: string }).name === 'ResourceNotFoundException') break;
      throw error;
    }
    if (Date.now() > deadline)
      throw new ProvisionError(`stream ${target.streamName} was not deleted in 60 s`);
    await sleep(300);
  }
  await provisionStream(clients.kinesis, stream, { created: [], existing: [] });
  for (const { bucket, prefix } of target.prefixes) await emptyPrefix(clients.s3, bucket, prefix);
  const queueName = target.deadLetterQueueUrl.split('/').pop() ?? '';
  const url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).QueueUrl;
  // Recreated rather than purged: PurgeQueue may be refused for 60 s after the previous purge.
  if (url) await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
}
