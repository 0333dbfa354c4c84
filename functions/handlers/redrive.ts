import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { METRICS_NAMESPACE } from '../adapters/aggregator/metrics.js';
import { type RedriveEnv, readRedriveEnv } from '../adapters/config.js';
import { createKafkaClient, readKafkaEnv } from '../adapters/kafka/kafka-client.js';
import { KafkaPartitionRangeReader } from '../adapters/kafka/partition-range.js';
import { KinesisShardLineage } from '../adapters/kinesis/shard-lineage.js';
import { KafkaRedriveSource } from '../adapters/redrive/kafka-redrive-source.js';
import { KinesisRedriveSource } from '../adapters/redrive/kinesis-redrive-source.js';
import {
  type RedriveDependencies,
  type RedriveReport,
  redriveDeadLetters,
} from '../adapters/redrive/redrive-dead-letters.js';
import { recordRedriveMetrics } from '../adapters/redrive/redrive-metrics.js';
import type { RedriveSource } from '../adapters/redrive/redrive-source.js';
import { FirehoseSink } from '../adapters/sinks/firehose-sink.js';
import { SqsDeadLetterSink } from '../adapters/sinks/sqs-dead-letter-sink.js';
import { S3StateStore } from '../adapters/state/s3-state-store.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();

/** What an operator invokes the function with (`{}` redrives everything it can). */
const redriveEventSchema = z
  .strictObject({
    /** Only report what would be redriven; delete nothing. */
    dryRun: z.boolean().default(false),
    /** Messages to take at most. */
    maxMessages: z.int().min(1).max(100_000).default(1000),
    /** Delete messages whose records are past the stream's retention (reported as dropped). */
    dropExpired: z.boolean().default(false),
  })
  .default({ dryRun: false, maxMessages: 1000, dropExpired: false });

/** A run that could not queue a batch it should have: the messages stay, the invocation fails. */
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
  // One per handler, as the aggregator's: a second handler in one process must not share its store.
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  return async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
    const parsed = redriveEventSchema.safeParse(event ?? {});
    if (!parsed.success) {
      throw new Error(
        `redrive event must be {"dryRun"?: boolean, "maxMessages"?: 1-100000, "dropExpired"?: boolean}: ${z.prettifyError(parsed.error)}`,
      );
    }
    deps ??= create();
    const deadlineMs = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
    const report = await redriveDeadLetters(deps, { ...parsed.data, deadlineMs });
    logger.info('redrive done', { ...report });
    if (!parsed.data.dryRun) {
      metrics.setDefaultDimensions({ pipeline: deps.pipeline.name });
      recordRedriveMetrics(metrics, report);
      metrics.publishStoredMetrics();
    }
    if (report.left.some((left) => left.kind === 'failed')) throw new RedriveIncompleteError(report);
    return report;
  };
}

/**
 * Run by an operator once the cause of failed batches is fixed (`aws lambda invoke`, or
 * `tributary invoke` locally): takes the batches the aggregator's event source mapping gave up on
 * from its dead-letter queue, reads them back from the Kinesis stream or the Kafka topic and queues
 * them in their shard (a Kafka partition): those whose windows have closed go to late/ at once,
 * the others wait in the shard's checkpoint for its own flow (queue-redrive.ts).
 */
export const handler = createRedriveHandler(() => {
  const env = readRedriveEnv();
  const pipeline = getPipeline(env.PIPELINE_NAME);
  const sqs = new SQSClient({});
  return {
    pipeline,
    engine: pipeline.createEngine(),
    // Redriven records that change no window go straight to late/ or the queue (queue-redrive.ts).
    late: new FirehoseSink({ client: new FirehoseClient({}), deliveryStreamName: env.LATE_DELIVERY_STREAM }),
    deadLetters: new SqsDeadLetterSink({ client: sqs, queueUrl: env.DEAD_LETTER_QUEUE_URL }),
    stateStore: new S3StateStore({
      client: new S3Client({}),
      bucket: env.STATE_BUCKET,
      prefix: env.STATE_PREFIX,
    }),
    logger,
    sqs,
    queueUrl: env.DEAD_LETTER_QUEUE_URL,
    source: redriveSource(env),
  };
});

/** The pipeline's stream as the redrive reads it: a Kinesis stream, or a topic of the Kafka cluster. */
function redriveSource(env: RedriveEnv): RedriveSource {
  if (env.TRANSPORT === 'msk') {
    const kafka = createKafkaClient(readKafkaEnv(), 'tributary-redrive');
    const groupPrefix = env.KAFKA_REDRIVE_GROUP as string;
    return new KafkaRedriveSource({
      topic: env.STREAM_NAME,
      openReader: () => new KafkaPartitionRangeReader({ kafka, groupPrefix }),
    });
  }
  // HTTP/1.1: the SDK's Kinesis client speaks HTTP/2 (for SubscribeToShard, not used here), and
  // LocalStack closes an HTTP/2 session on a GetRecords page of a thousand records.
  const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  return new KinesisRedriveSource({
    client: kinesis,
    streamName: env.STREAM_NAME,
    shards: new KinesisShardLineage(kinesis),
  });
}
