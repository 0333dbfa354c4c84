import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ResourceNotFoundException,
  StreamMode,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CloudAssembly, TemplateResource } from '../template/index.js';

/** The LocalStack clients provisioning uses. */
export interface ProvisionClients {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

/** What one provisioning pass found and created, by local name. */
export interface ProvisionReport {
  readonly created: string[];
  readonly existing: string[];
}

/** A template resource LocalStack could not be made to hold. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    error instanceof ResourceNotFoundException ||
    name === 'NotFound' ||
    name === 'NoSuchBucket' ||
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue'
  );
}

/** Shards of a stream as the template asks: ShardCount, or on-demand mode (LocalStack picks the count). */
function streamShape(properties: Record<string, unknown>) {
  const mode = (properties.StreamModeDetails as { StreamMode?: unknown } | undefined)?.StreamMode;
  if (mode === 'ON_DEMAND') return { StreamModeDetails: { StreamMode: StreamMode.ON_DEMAND } };
  const count = Number(properties.ShardCount ?? 1);
  return { ShardCount: Number.isInteger(count) && count > 0 ? count : 1 };
}

/** Creates a Kinesis stream under its local name unless it exists; waits until it is ACTIVE. */
export async function provisionStream(
  kinesis: KinesisClient,
  resource: TemplateResource,
  report: ProvisionReport,
): Promise<void> {
  const name = resource.physicalName;
  try {
    await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    report.existing.push(name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ...streamShape(resource.properties()) }));
    report.created.push(name);
  }
  await waitActive(kinesis, name);
}

/** Polls every 500 ms (the SDK waiter polls every 10 s) until the stream is ACTIVE. */
export async function waitActive(kinesis: KinesisClient, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    const status = out.StreamDescriptionSummary?.StreamStatus;
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new ProvisionError(`stream ${name} is not ACTIVE after ${timeoutMs} ms (status ${status})`);
    }
    await sleep(500);
  }
}

async function provisionBucket(s3: S3Client, resource: TemplateResource, report: ProvisionReport) {
  const name = resource.physicalName;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    report.existing.push(name);
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  report.created.push(name);
  const versioning = resource.properties().VersioningConfiguration as { Status?: unknown } | undefined;
  if (versioning?.Status === 'Enabled') {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
}

async function provisionQueue(sqs: SQSClient, resource: TemplateResource, report: ProvisionReport) {
  const name = resource.physicalName;
  try {
    await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    report.existing.push(name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const fifo = resource.properties().FifoQueue === true;
    await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: fifo ? { FifoQueue: 'true' } : undefined }),
    );
    report.created.push(name);
  }
}

/**
 * Creates the template's data resources in LocalStack under their local names (the names the
 * functions' environment and the runners use): Kinesis streams, S3 buckets, SQS queues.
 * Idempotent: what exists is kept. Functions, mappings, delivery streams and schedules are not
 * created there; the local runtime runs them itself (LocalStack cannot offline).
 */
export async function provision(
  assembly: CloudAssembly,
  clients: ProvisionClients,
): Promise<ProvisionReport> {
  const report: ProvisionReport = { created: [], existing: [] };
  for (const bucket of assembly.resources('AWS::S3::Bucket'))
    await provisionBucket(clients.s3, bucket, report);
  for (const queue of assembly.resources('AWS::SQS::Queue')) await provisionQueue(clients.sqs, queue, report);
  await Promise.all(
    assembly.resources('AWS::Kinesis::Stream').map((s) => provisionStream(clients.kinesis, s, report)),
  );
  return report;
}
