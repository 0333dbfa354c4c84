import { Logger } from '@aws-lambda-powertools/logger';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { aggregatorDependencies } from '../adapters/aggregator/from-env.js';
import { readRedriveEnv } from '../adapters/config.js';
import { KinesisShardLineage } from '../adapters/kinesis/shard-lineage.js';
import {
  type RedriveDependencies,
  type RedriveReport,
  redriveDeadLetters,
} from '../adapters/redrive/redrive-dead-letters.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();

/** What an operator invokes the function with (`{}` redrives everything it can). */
const redriveEventSchema = z
  .strictObject({
    /** Only report what would be redriven; delete nothing. */
    dryRun: z.boolean().default(false),
    /** Messages to take at most. */
    maxMessages: z.int().min(1).max(100_000).default(1000),
  })
  .default({ dryRun: false, maxMessages: 1000 });

/** A run that could not apply a batch it should have: the messages stay, the invocation fails. */
export class RedriveIncompleteError extends Error {
  override readonly name = 'RedriveIncompleteError';
  constructor(readonly report: RedriveReport) {
    const failed = report.left.filter((left) => left.kind === 'failed');
    super(
      `${failed.length} batch(es) could not be redriven and stay in the queue: ${failed
        .map((left) => left.reason)
        .join('; ')}`,
    );
  }
}

/** Builds the handler around its dependencies, created once per container on first use. */
export function createRedriveHandler(create: () => RedriveDependencies) {
  let deps: RedriveDependencies | undefined;
  return async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
    const parsed = redriveEventSchema.safeParse(event ?? {});
    if (!parsed.success) {
      throw new Error(
        `redrive event must be {"dryRun"?: boolean, "maxMessages"?: 1-100000}: ${z.prettifyError(parsed.error)}`,
      );
    }
    deps ??= create();
    const deadlineMs = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
    const report = await redriveDeadLetters(deps, { ...parsed.data, deadlineMs });
    logger.info('redrive done', { ...report });
    if (report.left.some((left) => left.kind === 'failed')) throw new RedriveIncompleteError(report);
    return report;
  };
}

/**
 * Run by an operator once the cause of failed batches is fixed (`aws lambda invoke`, or
 * `tributary invoke` locally): takes the Kinesis batches the aggregator's event source mapping
 * gave up on from its dead-letter queue and applies them, read back from the stream.
 */
export const handler = createRedriveHandler(() => {
  const env = readRedriveEnv();
  const kinesis = new KinesisClient({});
  const sqs = new SQSClient({});
  const aggregator = aggregatorDependencies(
    env,
    getPipeline(env.PIPELINE_NAME),
    { s3: new S3Client({}), firehose: new FirehoseClient({}), sqs, kinesis },
    logger,
  );
  return {
    aggregator,
    sqs,
    queueUrl: env.DEAD_LETTER_QUEUE_URL,
    kinesis,
    streamName: env.STREAM_NAME,
    shards: new KinesisShardLineage(kinesis),
  };
});
