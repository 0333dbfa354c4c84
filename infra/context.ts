import { z } from 'zod';

/** Settings of one deployment, read from CDK context (`cdk.json` or `-c key=value`). */
export type TributaryContext = KinesisContext | MskContext;

/** Settings every transport shares. */
interface CommonContext {
  /** Deployment name (`dev`, `prod`, ...): part of the stack and resource names. */
  readonly stage: string;
  /** Pipelines to deploy, in the order given. */
  readonly pipelines: readonly string[];
  /** How long streams (or topics) keep records. */
  readonly retentionHours: number;
  readonly bufferingIntervalSeconds: number;
  readonly bufferingSizeMiB: number;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  /** First event date (yyyy-MM-dd) Athena's partition projection covers; earlier data is stored but not found. */
  readonly warehouseStartDate: string;
}

/** Kinesis data streams (the default). */
export interface KinesisContext extends CommonContext {
  readonly transport: 'kinesis';
  readonly streamMode: 'on-demand' | 'provisioned';
  /** Shards per stream in provisioned mode; undefined in on-demand mode. */
  readonly shardCount?: number;
  readonly partitions?: undefined;
}

/** Topics of an MSK Serverless cluster. */
export interface MskContext extends CommonContext {
  readonly transport: 'msk';
  /** Partitions per topic. */
  readonly partitions: number;
  readonly streamMode?: undefined;
  readonly shardCount?: undefined;
}

/** A context value that synthesis cannot accept; the message names the key and the value given. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

/** Every context key this app reads. */
export const CONTEXT_KEYS = [
  'stage',
  'pipelines',
  'transport',
  'streamMode',
  'shardCount',
  'partitions',
  'retentionHours',
  'bufferingIntervalSeconds',
  'bufferingSizeMiB',
  'alarmEmail',
  'alarmTopicArn',
  'warehouseStartDate',
] as const;

/** A stage or pipeline name (resource names are built from them): also what `--stage` accepts locally. */
export const NAME = /^[a-z][a-z0-9-]{0,30}$/;

// `-c key=value` always gives strings; cdk.json may give numbers. Both are accepted.
const integer = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v),
    z.number().int().min(min).max(max),
  );

const schema = z
  .object({
    stage: z
      .string()
      .regex(NAME, 'lower-case letters, digits and dashes, starting with a letter')
      .default('dev'),
    pipelines: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((name) => name.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string().regex(NAME, 'pipeline names are lower-case letters, digits and dashes'))
          .min(1, 'at least one pipeline'),
      ),
    transport: z.enum(['kinesis', 'msk']).default('kinesis'),
    // No defaults here: giving them with transport=msk is refused, so "not given" must show.
    streamMode: z.enum(['on-demand', 'provisioned']).optional(),
    shardCount: integer(1, 1_000).optional(),
    partitions: integer(1, 1_000).optional(),
    retentionHours: integer(24, 8_760).default(24),
    bufferingIntervalSeconds: integer(60, 900).default(300),
    bufferingSizeMiB: integer(64, 128).default(128),
    alarmEmail: z.email().optional(),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'an SNS topic ARN')
      .optional(),
    // Replaying older data (the 1995 NASA logs, past taxi years) needs an earlier date: Firehose
    // writes its partitions, but Athena's projection never looks before this date.
    warehouseStartDate: z.iso.date('a date as yyyy-MM-dd').default('2025-01-01'),
  })
  .strict();

/**
 * Validates raw context values. Unknown keys, wrong types and impossible combinations throw a
 * {@link ContextError} that says what was expected and what was received.
 */
export function parseContext(raw: Readonly<Record<string, unknown>>): TributaryContext {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(context)';
      const given = issue.path.length ? JSON.stringify(raw[String(issue.path[0])]) : '';
      return `-c ${key}: ${issue.message}${given ? ` (given ${given})` : ''}`;
    });
    throw new ContextError(`Invalid CDK context:\n  ${problems.join('\n  ')}`);
  }
  const { streamMode, shardCount, partitions, transport, ...c } = result.data;
  const duplicates = c.pipelines.filter((name, i) => c.pipelines.indexOf(name) !== i);
  if (duplicates.length) {
    throw new ContextError(`-c pipelines: each pipeline once (given ${duplicates.join(', ')} twice)`);
  }
  if (c.alarmEmail && c.alarmTopicArn) {
    throw new ContextError('-c alarmEmail and -c alarmTopicArn: give one of them, not both');
  }
  if (transport === 'msk') {
    for (const [key, value] of [
      ['streamMode', streamMode],
      ['shardCount', shardCount],
    ] as const) {
      if (value !== undefined) {
        throw new ContextError(
          `-c ${key} applies to transport=kinesis only (given ${key}=${value} with transport=msk); ` +
            'size MSK topics with -c partitions',
        );
      }
    }
    return { ...c, transport, partitions: partitions ?? 4 };
  }
  if (partitions !== undefined) {
    throw new ContextError(
      `-c partitions applies to transport=msk only (given partitions=${partitions} with transport=kinesis)`,
    );
  }
  const mode = streamMode ?? 'on-demand';
  if (mode === 'on-demand' && shardCount !== undefined) {
    throw new ContextError(
      `-c shardCount applies to streamMode=provisioned only (given shardCount=${shardCount} with on-demand)`,
    );
  }
  return {
    ...c,
    transport,
    streamMode: mode,
    shardCount: mode === 'provisioned' ? (shardCount ?? 1) : undefined,
  };
}

/** Reads the keys this app knows from a construct node's context (undefined ones are left out). */
export function readContext(get: (key: string) => unknown): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = get(key);
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}
