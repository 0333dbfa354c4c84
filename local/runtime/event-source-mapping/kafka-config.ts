import { z } from 'zod';
import type { CloudAssembly, TemplateResource } from '../template/index.js';
import { templateBoolean, templateInteger } from '../template/template-values.js';
import { MappingConfigError } from './errors.js';
import {
  destinationConfig,
  readBatchSize,
  readOnFailureDestination,
  readRetryLimits,
  type SettingCheck,
} from './shared-settings.js';

/**
 * One `AWS::Lambda::EventSourceMapping` reading an Amazon MSK cluster, defaults applied as Lambda
 * applies them (docs.aws.amazon.com/lambda/latest/dg/msk-esm-parameters.html).
 */
export interface KafkaMappingConfig {
  /** `<stack>/<logicalId>`: names the mapping in logs and counters. */
  readonly id: string;
  readonly constructPath: string | undefined;
  readonly functionResource: TemplateResource;
  /** The cluster's ARN as the event's `eventSourceArn` carries it. */
  readonly clusterArn: string;
  /** Exactly one topic (Lambda accepts one per mapping). */
  readonly topic: string;
  readonly groupId: string;
  readonly enabled: boolean;
  /** Default 100, 1-10000. */
  readonly batchSize: number;
  /** MaximumBatchingWindowInSeconds in ms; 500 when unset (Kafka's default, not 0 as for streams). */
  readonly maxBatchingWindowMs: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Effective value: -1 (infinite) becomes 10 when an on-failure destination is set, as Lambda does. */
  readonly maximumRetryAttempts: number;
  /** -1 = no maximum age. */
  readonly maximumRecordAgeSeconds: number;
  /** OnFailure destination ARN (an SQS queue locally). */
  readonly onFailureDestination: string | undefined;
}

const MSK_TYPES = new Set(['AWS::MSK::ServerlessCluster', 'AWS::MSK::Cluster']);
const KAFKA_ARN = /^arn:aws[\w-]*:kafka:[\w-]+:\d{12}:cluster\/[\w.-]+\/[\w-]+$/;

const Properties = z.object({
  FunctionName: z.string(),
  Topics: z.array(z.string()).optional(),
  Enabled: templateBoolean.optional(),
  BatchSize: templateInteger.optional(),
  MaximumBatchingWindowInSeconds: templateInteger.optional(),
  StartingPosition: z.string().optional(),
  MaximumRetryAttempts: templateInteger.optional(),
  MaximumRecordAgeInSeconds: templateInteger.optional(),
  DestinationConfig: destinationConfig.optional(),
  AmazonManagedKafkaEventSourceConfig: z
    .object({ ConsumerGroupId: z.string().optional(), SchemaRegistryConfig: z.unknown().optional() })
    .optional(),
  FunctionResponseTypes: z.array(z.string()).optional(),
  BisectBatchOnFunctionError: templateBoolean.optional(),
  FilterCriteria: z.unknown().optional(),
  TumblingWindowInSeconds: z.unknown().optional(),
  ParallelizationFactor: z.unknown().optional(),
});

/** The logical id an EventSourceArn of `{"Ref": id}` or `{"Fn::GetAtt": [id, "Arn"]}` names. */
function referencedId(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { Ref: ref, 'Fn::GetAtt': att } = raw as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof ref === 'string') return ref;
  if (Array.isArray(att) && att[1] === 'Arn' && typeof att[0] === 'string') return att[0];
  if (typeof att === 'string' && att.endsWith('.Arn')) return att.slice(0, -4);
  return undefined;
}

/** The MSK cluster resource the mapping reads, when it is one of the same stack. */
export function mskClusterOf(mapping: TemplateResource): TemplateResource | undefined {
  const id = referencedId(mapping.rawProperties.EventSourceArn);
  const target = id === undefined ? undefined : mapping.stack.resources.find((r) => r.logicalId === id);
  return target && MSK_TYPES.has(target.type) ? target : undefined;
}

/** True when the mapping reads an MSK cluster (of the template, or a literal cluster ARN). */
export function isKafkaMapping(resource: TemplateResource): boolean {
  if (resource.type !== 'AWS::Lambda::EventSourceMapping') return false;
  const raw = resource.rawProperties.EventSourceArn;
  return mskClusterOf(resource) !== undefined || (typeof raw === 'string' && KAFKA_ARN.test(raw));
}

/**
 * The cluster's ARN as the template's `Ref` gives it locally (`arn:<partition>:kafka:<region>:
 * <account>:cluster/<ClusterName>/<uuid>`, see template/resource-types.ts): every reader (this
 * runner, the Firehose MSK source, a function's environment) and every run arrives at the same one.
 */
export function mskClusterArn(cluster: TemplateResource): string {
  const arn = cluster.stack.resolve({ Ref: cluster.logicalId }, `${cluster.logicalId}.Ref`);
  if (typeof arn !== 'string') throw new MappingConfigError(`${cluster.logicalId}: no ARN for the cluster`);
  return arn;
}

/**
 * Reads an MSK event source mapping and checks it the way Lambda's API does, quoting the value
 * received; refuses what the local runner does not emulate (partial batch responses, bisection,
 * filters, schema registries, AT_TIMESTAMP) instead of running it differently.
 */
export function readKafkaMapping(assembly: CloudAssembly, resource: TemplateResource): KafkaMappingConfig {
  const id = `${resource.stackName}/${resource.logicalId}`;
  const fail = (why: string, ...given: [unknown?]): never => {
    throw new MappingConfigError(
      `${id}: ${why}${given.length > 0 ? ` (given ${JSON.stringify(given[0])})` : ''}`,
    );
  };
  const cluster = mskClusterOf(resource);
  const rawArn = resource.rawProperties.EventSourceArn;
  const clusterArn = cluster
    ? mskClusterArn(cluster)
    : typeof rawArn === 'string' && KAFKA_ARN.test(rawArn)
      ? rawArn
      : fail('expected an AWS::MSK::ServerlessCluster or AWS::MSK::Cluster as EventSourceArn', rawArn);
  const parsed = Properties.safeParse(resource.properties());
  if (!parsed.success) fail(`unexpected properties: ${z.prettifyError(parsed.error)}`);
  const p = parsed.data as z.infer<typeof Properties>;
  const check: SettingCheck = (ok, what, given) => {
    if (!ok) fail(what, given);
  };

  const topics = p.Topics ?? [];
  check(topics.length === 1 && topics[0] !== '', 'Topics must hold exactly one topic name', p.Topics);
  const position = p.StartingPosition;
  check(position !== undefined, 'StartingPosition is required for Amazon MSK', position);
  check(
    position === 'TRIM_HORIZON' || position === 'LATEST',
    'StartingPosition must be TRIM_HORIZON or LATEST locally (AT_TIMESTAMP is not emulated)',
    position,
  );
  const batchSize = readBatchSize(p, check);
  const window = p.MaximumBatchingWindowInSeconds;
  check(
    window === undefined || (window >= 0 && window <= 300),
    'MaximumBatchingWindowInSeconds must be 0-300',
    window,
  );
  const { retries, age } = readRetryLimits(p, check);
  const destination = readOnFailureDestination(p, check);
  const groupId =
    p.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ?? `${resource.stackName}-${resource.logicalId}`;
  check(
    /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/.test(groupId),
    'ConsumerGroupId must be 1-200 of [a-zA-Z0-9-/*:_+=.@]',
    groupId,
  );
  const unsupported: [boolean, string, unknown][] = [
    [
      p.FunctionResponseTypes?.includes('ReportBatchItemFailures') ?? false,
      'partial batch responses (ReportBatchItemFailures) are not emulated for Kafka locally',
      p.FunctionResponseTypes,
    ],
    [
      p.BisectBatchOnFunctionError === true,
      'BisectBatchOnFunctionError is not emulated for Kafka locally',
      true,
    ],
    [p.FilterCriteria !== undefined, 'FilterCriteria is not emulated locally', p.FilterCriteria],
    [
      p.AmazonManagedKafkaEventSourceConfig?.SchemaRegistryConfig !== undefined,
      'SchemaRegistryConfig is not emulated locally',
      p.AmazonManagedKafkaEventSourceConfig?.SchemaRegistryConfig,
    ],
    [
      p.TumblingWindowInSeconds !== undefined,
      'TumblingWindowInSeconds does not apply to Kafka',
      p.TumblingWindowInSeconds,
    ],
    [
      p.ParallelizationFactor !== undefined,
      'ParallelizationFactor does not apply to Kafka',
      p.ParallelizationFactor,
    ],
  ];
  for (const [refused, what, given] of unsupported) check(!refused, what, given);

  return {
    id,
    constructPath: resource.constructPath,
    functionResource: assembly.find(p.FunctionName, 'AWS::Lambda::Function'),
    clusterArn,
    topic: topics[0] as string,
    groupId,
    enabled: p.Enabled ?? true,
    batchSize,
    maxBatchingWindowMs: window === undefined ? 500 : window * 1000,
    startingPosition: position as 'TRIM_HORIZON' | 'LATEST',
    // "When you configure both infinite retries and an on-failure destination, Lambda automatically
    // applies a maximum of 10 retry attempts" (Lambda's Kafka retry configuration page).
    maximumRetryAttempts: retries === -1 && destination !== undefined ? 10 : retries,
    maximumRecordAgeSeconds: age,
    onFailureDestination: destination,
  };
}
