import { z } from 'zod';
import { ConfigurationError } from './errors.js';

const nonEmpty = z.string().trim().min(1);

const idleTimeoutMs = z.coerce.number().int().min(1000);

const aggregatorEnvSchema = z.object({
  PIPELINE_NAME: nonEmpty,
  STATE_BUCKET: nonEmpty,
  STATE_PREFIX: z.string().default('state/'),
  AGGREGATES_DELIVERY_STREAM: nonEmpty,
  LATE_DELIVERY_STREAM: nonEmpty,
  DEAD_LETTER_QUEUE_URL: nonEmpty,
  /** The idle flush's timeout, when one runs beside the aggregator (it then claims quiet shards). */
  IDLE_TIMEOUT_MS: idleTimeoutMs.optional(),
});

/** What carries the events: Kinesis data streams, or topics of an MSK cluster (KAFKA_* variables). */
const transport = z.enum(['kinesis', 'msk']).default('kinesis');

/**
 * The idle flush sends window results, and the late records and dead letters of records a redrive
 * queued in a quiet shard. It reads the pipeline's stream (STREAM_NAME on TRANSPORT) to tell a
 * quiet shard from one whose mapping has records still to deliver, ignoring those older than the
 * mapping's MAX_RECORD_AGE_MS.
 */
const idleFlushEnvSchema = aggregatorEnvSchema
  .pick({
    PIPELINE_NAME: true,
    STATE_BUCKET: true,
    STATE_PREFIX: true,
    AGGREGATES_DELIVERY_STREAM: true,
    LATE_DELIVERY_STREAM: true,
    DEAD_LETTER_QUEUE_URL: true,
  })
  .extend({
    IDLE_TIMEOUT_MS: idleTimeoutMs,
    TRANSPORT: transport,
    STREAM_NAME: nonEmpty,
    MAX_RECORD_AGE_MS: z.coerce.number().int().min(60_000),
    /** MSK: the event source mapping's consumer group, whose commits show what it gave up on. */
    KAFKA_CONSUMER_GROUP: nonEmpty.optional(),
  });

const producerEnvSchema = z.object({
  TRANSPORT: transport,
  STREAM_NAMES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a JSON object of pipeline name -> stream or topic name',
        });
        return z.NEVER;
      }
    })
    .pipe(z.record(nonEmpty, nonEmpty)),
});

/**
 * The redrive takes batches from the dead-letter queue, reads them back from the pipeline's stream
 * (STREAM_NAME on TRANSPORT; on MSK with consumer groups of its own, named
 * `<KAFKA_REDRIVE_GROUP>-<random>`), sends the records of closed windows to the late stream (and
 * rejected ones to the queue) and queues the others in the shards' checkpoints. It sends no window
 * results.
 */
const redriveEnvSchema = aggregatorEnvSchema
  .pick({
    PIPELINE_NAME: true,
    STATE_BUCKET: true,
    STATE_PREFIX: true,
    DEAD_LETTER_QUEUE_URL: true,
    LATE_DELIVERY_STREAM: true,
  })
  .extend({ STREAM_NAME: nonEmpty, TRANSPORT: transport, KAFKA_REDRIVE_GROUP: nonEmpty.optional() })
  .refine((env) => env.TRANSPORT !== 'msk' || env.KAFKA_REDRIVE_GROUP !== undefined, {
    message: "TRANSPORT=msk needs KAFKA_REDRIVE_GROUP (the prefix of the redrive's consumer groups)",
    path: ['KAFKA_REDRIVE_GROUP'],
  });

/** The deploy's checkpoint check reads the state bucket of every pipeline it is given. */
const stateCheckEnvSchema = aggregatorEnvSchema.pick({ STATE_BUCKET: true, STATE_PREFIX: true });

export type AggregatorEnv = z.output<typeof aggregatorEnvSchema>;
export type StateCheckEnv = z.output<typeof stateCheckEnvSchema>;
export type IdleFlushEnv = z.output<typeof idleFlushEnvSchema>;
export type RedriveEnv = z.output<typeof redriveEnvSchema>;
export type ProducerEnv = z.output<typeof producerEnvSchema>;

function read<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`${what} environment is incomplete: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The aggregator's environment (the names infra/constructs/aggregator.ts sets). */
export const readAggregatorEnv = (env: Record<string, string | undefined> = process.env): AggregatorEnv =>
  read(aggregatorEnvSchema, env, 'aggregator');

/** The idle flush's environment: part of the aggregator's, IDLE_TIMEOUT_MS, and its stream. */
export const readIdleFlushEnv = (env: Record<string, string | undefined> = process.env): IdleFlushEnv =>
  read(idleFlushEnvSchema, env, 'idle-flush');

/** The redrive's environment: the pipeline, its checkpoints, its dead-letter queue and its stream. */
export const readRedriveEnv = (env: Record<string, string | undefined> = process.env): RedriveEnv =>
  read(redriveEnvSchema, env, 'redrive');

/** The producer's environment: TRANSPORT and STREAM_NAMES, a JSON object of pipeline name -> stream or topic. */
export const readProducerEnv = (env: Record<string, string | undefined> = process.env): ProducerEnv =>
  read(producerEnvSchema, env, 'producer');

/** The checkpoint check's environment: the state bucket and prefix, as the aggregators have them. */
export const readStateCheckEnv = (env: Record<string, string | undefined> = process.env): StateCheckEnv =>
  read(stateCheckEnvSchema, env, 'state-check');
