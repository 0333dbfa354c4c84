import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { CloudAssembly, TemplateResource } from '../template/index.js';
import { ProvisionError } from './errors.js';

/** The LocalStack clients provisioning uses. */
export interface ProvisionClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
}

/** One resource a function touches and what was done about it. */
export interface ProvisionedResource {
  readonly type: string;
  readonly name: string;
  readonly action: 'created' | 'existed';
}

/** The data resources whose names a function can receive in its environment. */
const DATA_TYPES = ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Kinesis::Stream'] as const;

/** The resource types {@link touchedResources} looks for, the Firehose delivery streams included. */
export const TOUCHED_TYPES: readonly string[] = [...DATA_TYPES, 'AWS::KinesisFirehose::DeliveryStream'];

/**
 * The template resources a function's environment names: a variable equal to the resource's Ref
 * or name, or a JSON variable holding it as a string (the producer's STREAM_NAMES map).
 */
export function touchedResources(
  assembly: CloudAssembly,
  environment: Readonly<Record<string, string>>,
): TemplateResource[] {
  const values = Object.values(environment);
  return assembly.resources().filter((r) => {
    if (!TOUCHED_TYPES.includes(r.type)) return false;
    const quoted = JSON.stringify(r.physicalName);
    return values.some((v) => v === r.ref || v === r.physicalName || v.includes(quoted));
  });
}

const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';

const NOT_FOUND = new Set(['NotFound', 'NoSuchBucket', 'ResourceNotFoundException', 'QueueDoesNotExist']);

function shardCountOf(resource: TemplateResource): number {
  const props: unknown = resource.properties();
  if (typeof props === 'object' && props !== null && 'ShardCount' in props) {
    const count = Number(props.ShardCount);
    if (Number.isInteger(count) && count > 0) return count;
  }
  return 1;
}

async function ensureBucket(s3: S3Client, name: string): Promise<ProvisionedResource['action']> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return 'existed';
  } catch (error) {
    if (!NOT_FOUND.has(errorName(error))) throw error;
  }
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return 'created';
}

async function ensureQueue(sqs: SQSClient, name: string): Promise<ProvisionedResource['action']> {
  try {
    await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    return 'existed';
  } catch (error) {
    if (!NOT_FOUND.has(errorName(error)) && !/NonExistentQueue/.test(errorName(error))) throw error;
  }
  const fifo = name.endsWith('.fifo') ? { FifoQueue: 'true' } : undefined;
  await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: fifo }));
  return 'created';
}

async function ensureStream(
  kinesis: KinesisClient,
  name: string,
  shards: number,
): Promise<ProvisionedResource['action']> {
  const status = async () =>
    (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary
      ?.StreamStatus;
  let action: ProvisionedResource['action'] = 'existed';
  try {
    if ((await status()) === 'ACTIVE') return action;
  } catch (error) {
    if (!NOT_FOUND.has(errorName(error))) throw error;
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    action = 'created';
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    if ((await status()) === 'ACTIVE') return action;
    if (Date.now() > deadline) throw new ProvisionError(`Kinesis stream ${name} not ACTIVE after 30 s`);
    await sleep(200);
  }
}

/**
 * Makes the data resources (buckets, queues, streams) exist in LocalStack, with the template's
 * local names; resources already there are left as they are. Delivery streams are not created:
 * `tributary invoke` runs the Firehose emulation for them.
 */
export async function provisionResources(
  resources: readonly TemplateResource[],
  clients: ProvisionClients,
): Promise<ProvisionedResource[]> {
  const done: ProvisionedResource[] = [];
  for (const r of resources) {
    const name = r.physicalName;
    try {
      let action: ProvisionedResource['action'] | undefined;
      if (r.type === 'AWS::S3::Bucket') action = await ensureBucket(clients.s3, name);
      else if (r.type === 'AWS::SQS::Queue') action = await ensureQueue(clients.sqs, name);
      else if (r.type === 'AWS::Kinesis::Stream')
        action = await ensureStream(clients.kinesis, name, shardCountOf(r));
      if (action) done.push({ type: r.type, name, action });
    } catch (error) {
      if (error instanceof ProvisionError) throw error;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ProvisionError(
        `cannot make ${r.type} ${name} ready in LocalStack (${reason}); is it running? \`npx tributary services status\``,
      );
    }
  }
  return done;
}

/**
 * Messages in each queue, received ones included (SQS' approximate counts, exact enough in
 * LocalStack), so the command can say how many letters an invocation sent to its dead-letter queue,
 * or took out of it (the redrive): a message it received but left is still in the queue.
 */
export async function queueDepths(
  sqs: SQSClient,
  queueNames: readonly string[],
): Promise<Record<string, number>> {
  const depths: Record<string, number> = {};
  for (const name of queueNames) {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    depths[name] =
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return depths;
}
