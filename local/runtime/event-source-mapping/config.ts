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

/** One `AWS::Lambda::EventSourceMapping` with a Kinesis source, defaults applied as Lambda applies them. */
export interface KinesisMappingConfig {
  /** `<stack>/<logicalId>`: names the mapping in checkpoints and counters. */
  readonly id: string;
  readonly constructPath: string | undefined;
  /** The mapped function's template resource. */
  readonly functionResource: TemplateResource;
  readonly streamArn: string;
  readonly streamName: string;
  readonly enabled: boolean;
  /** Default 100, 1-10000. */
  readonly batchSize: number;
  /** MaximumBatchingWindowInSeconds in ms; default 0. */
  readonly maxBatchingWindowMs: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  readonly startingPositionTimestampMs: number | undefined;
  /** 0 = no tumbling window. */
  readonly tumblingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1 = retry until the record expires. */
  readonly maximumRetryAttempts: number;
  /** -1 = no maximum age. */
  readonly maximumRecordAgeSeconds: number;
  /** OnFailure destination ARN (an SQS queue locally). */
  readonly onFailureDestination: string | undefined;
  /** Concurrent batches per shard, 1-10. */
  readonly parallelizationFactor: number;
}

const Properties = z.object({
  FunctionName: z.string(),
  EventSourceArn: z.string().optional(),
  Enabled: templateBoolean.optional(),
  BatchSize: templateInteger.optional(),
  MaximumBatchingWindowInSeconds: templateInteger.optional(),
  StartingPosition: z.enum(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP']).optional(),
  StartingPositionTimestamp: z
    .union([
      z.number(),
      z
        .string()
        .regex(/^\d+(\.\d+)?$/)
        .transform(Number),
    ])
    .optional(),
  TumblingWindowInSeconds: templateInteger.optional(),
  FunctionResponseTypes: z.array(z.string()).optional(),
  BisectBatchOnFunctionError: templateBoolean.optional(),
  MaximumRetryAttempts: templateInteger.optional(),
  MaximumRecordAgeInSeconds: templateInteger.optional(),
  ParallelizationFactor: templateInteger.optional(),
  DestinationConfig: destinationConfig.optional(),
  FilterCriteria: z.unknown().optional(),
});

const KINESIS_ARN = /^arn:aws[\w-]*:kinesis:[\w-]+:\d{12}:stream\/([\w.-]+)(\/consumer\/.*)?$/;

/** True when the mapping reads a Kinesis stream (other sources are not this runner's). */
export function isKinesisMapping(resource: TemplateResource): boolean {
  const arn = resource.properties().EventSourceArn;
  return typeof arn === 'string' && KINESIS_ARN.test(arn);
}

/**
 * Reads a Kinesis event source mapping of the template and checks it the way Lambda's API checks
 * CreateEventSourceMapping, quoting the value received when a setting is out of range.
 */
export function readKinesisMapping(
  assembly: CloudAssembly,
  resource: TemplateResource,
): KinesisMappingConfig {
  const id = `${resource.stackName}/${resource.logicalId}`;
  const parsed = Properties.safeParse(resource.properties());
  if (!parsed.success)
    throw new MappingConfigError(`${id}: unexpected properties: ${z.prettifyError(parsed.error)}`);
  const p = parsed.data;
  const match = p.EventSourceArn?.match(KINESIS_ARN);
  if (!p.EventSourceArn || !match?.[1]) {
    throw new MappingConfigError(
      `${id}: expected a Kinesis stream ARN as EventSourceArn (given ${p.EventSourceArn})`,
    );
  }
  if (p.FilterCriteria !== undefined) {
    throw new MappingConfigError(`${id}: FilterCriteria is not emulated locally (the pipelines use none)`);
  }
  const check: SettingCheck = (ok, what, given) => {
    if (!ok) throw new MappingConfigError(`${id}: ${what} (given ${JSON.stringify(given)})`);
  };
  const batchSize = readBatchSize(p, check);
  const window = p.MaximumBatchingWindowInSeconds ?? 0;
  check(window >= 0 && window <= 300, 'MaximumBatchingWindowInSeconds must be 0-300', window);
  const tumbling = p.TumblingWindowInSeconds ?? 0;
  check(tumbling >= 0 && tumbling <= 900, 'TumblingWindowInSeconds must be 0-900', tumbling);
  const { retries, age } = readRetryLimits(p, check);
  const factor = p.ParallelizationFactor ?? 1;
  check(factor >= 1 && factor <= 10, 'ParallelizationFactor must be 1-10', factor);
  check(p.StartingPosition !== undefined, 'StartingPosition is required for Kinesis', p.StartingPosition);
  const startingPosition = p.StartingPosition ?? 'LATEST';
  check(
    startingPosition !== 'AT_TIMESTAMP' || p.StartingPositionTimestamp !== undefined,
    'StartingPositionTimestamp is required with AT_TIMESTAMP',
    p.StartingPositionTimestamp,
  );
  const destination = readOnFailureDestination(p, check);
  const functionResource = assembly.find(p.FunctionName, 'AWS::Lambda::Function');
  return {
    id,
    constructPath: resource.constructPath,
    functionResource,
    streamArn: p.EventSourceArn.replace(/\/consumer\/.*$/, ''),
    streamName: match[1],
    enabled: p.Enabled ?? true,
    batchSize,
    maxBatchingWindowMs: window * 1000,
    startingPosition,
    startingPositionTimestampMs:
      p.StartingPositionTimestamp === undefined ? undefined : Math.round(p.StartingPositionTimestamp * 1000),
    tumblingWindowSeconds: tumbling,
    reportBatchItemFailures: p.FunctionResponseTypes?.includes('ReportBatchItemFailures') ?? false,
    bisectBatchOnFunctionError: p.BisectBatchOnFunctionError ?? false,
    maximumRetryAttempts: retries,
    maximumRecordAgeSeconds: age,
    onFailureDestination: destination,
    parallelizationFactor: factor,
  };
}
