import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { aggregateBatch } from '../adapters/aggregator/aggregate-batch.js';
import { recordAppliedRanges } from '../adapters/aggregator/applied-ranges.js';
import type { AggregatorDependencies } from '../adapters/aggregator/dependencies.js';
import { aggregatorDependencies } from '../adapters/aggregator/from-env.js';
import { METRICS_NAMESPACE, recordAggregatorMetrics } from '../adapters/aggregator/metrics.js';
import { readAggregatorEnv } from '../adapters/config.js';
import { isKafkaEvent, splitKafkaEvent } from '../adapters/kafka/msk-event.js';
import { splitKinesisEvent } from '../adapters/kinesis/stream-event.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();

/**
 * A Kafka batch with partitions left unapplied: Lambda retries it whole (and after its retries
 * sends it to the on-failure destination). Names the first offset not applied of each partition
 * that failed for now, and the partitions that failed for good (e.g. a corrupt checkpoint).
 */
export class KafkaBatchNotAppliedError extends Error {
  override readonly name = 'KafkaBatchNotAppliedError';
  constructor(readonly notApplied: readonly string[]) {
    super(`not applied: ${notApplied.join(', ')}; Lambda retries the batch`);
  }
}

/** Builds the handler around its dependencies, created once per container on first use. */
export function createAggregatorHandler(create: () => AggregatorDependencies) {
  let deps: AggregatorDependencies | undefined;
  // One Metrics per handler: on a module-wide one, a second handler in the same process (tests,
  // benchmarks) would set the pipeline dimension again, and Powertools warns that it exists.
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  // `unknown`: the event is validated, since a misrouted invocation must not crash the function.
  return async (
    event: unknown,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<KinesisStreamBatchResponse> => {
    if (!deps) {
      deps = create();
      metrics.setDefaultDimensions({ pipeline: deps.pipeline.name });
    }
    try {
      const kafka = isKafkaEvent(event);
      const { records, unusable } = kafka
        ? splitKafkaEvent(event, deps.pipeline.name)
        : splitKinesisEvent(event, deps.pipeline.name);
      if (unusable.length > 0) {
        logger.error('entries that are not usable records were dead-lettered', {
          reasons: unusable.map((letter) => letter.reason),
        });
        await deps.deadLetters.send(unusable);
      }
      const deadlineMs = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
      // Kafka partitions never split or merge: no shard lineage to ask.
      const batchDeps = kafka ? { ...deps, lineage: undefined } : deps;
      const { response, stats, fatal, applied } = await aggregateBatch(records, batchDeps, {
        deadlineMs,
        isolateShards: kafka,
        denseOffsets: kafka,
      });
      stats.invalidRecords += unusable.length;
      recordAggregatorMetrics(metrics, stats);
      logger.info('batch processed', {
        records: records.length,
        ...stats,
        failures: response.batchItemFailures,
      });
      if (kafka && (response.batchItemFailures.length > 0 || fatal.length > 0)) {
        // The Kafka mapping runs without partial batch responses: failing the invocation makes
        // Lambda retry the whole batch, and the partitions already applied skip it by checkpoint.
        for (const { shard, error } of fatal) logger.error('partition not applied', { shard, error });
        // Before failing: a redrive of the batch (Lambda's on-failure record names every
        // partition) must skip what is applied of the batch (applied-ranges.ts; failures are logged).
        const marked = await recordAppliedRanges(applied, { ...deps, logger });
        if (marked.length > 0) logger.info('applied partitions marked for a redrive to skip', { marked });
        throw new KafkaBatchNotAppliedError([
          ...response.batchItemFailures.map((f) => f.itemIdentifier),
          ...fatal.map((f) => f.shard),
        ]);
      }
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/**
 * Event source mapping entry point: Kinesis (ReportBatchItemFailures) or Amazon MSK (the whole
 * batch retried on failure).
 */
export const handler = createAggregatorHandler(() => {
  const env = readAggregatorEnv();
  return aggregatorDependencies(
    env,
    getPipeline(env.PIPELINE_NAME),
    {
      s3: new S3Client({}),
      firehose: new FirehoseClient({}),
      sqs: new SQSClient({}),
      kinesis: new KinesisClient({}),
    },
    logger,
  );
});
