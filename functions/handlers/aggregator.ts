import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { aggregateBatch } from '../adapters/aggregator/aggregate-batch.js';
import type { AggregatorDependencies } from '../adapters/aggregator/dependencies.js';
import { aggregatorDependencies } from '../adapters/aggregator/from-env.js';
import { METRICS_NAMESPACE, recordAggregatorMetrics } from '../adapters/aggregator/metrics.js';
import { readAggregatorEnv } from '../adapters/config.js';
import { splitKinesisEvent } from '../adapters/kinesis/stream-event.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();
const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/** Builds the handler around its dependencies, created once per container on first use. */
export function createAggregatorHandler(create: () => AggregatorDependencies) {
  let deps: AggregatorDependencies | undefined;
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
      const { records, unusable } = splitKinesisEvent(event, deps.pipeline.name);
      if (unusable.length > 0) {
        logger.error('entries that are not Kinesis records were dead-lettered', {
          reasons: unusable.map((letter) => letter.reason),
        });
        await deps.deadLetters.send(unusable);
      }
      const deadlineMs = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
      const { response, stats } = await aggregateBatch(records, deps, { deadlineMs });
      stats.invalidRecords += unusable.length;
      recordAggregatorMetrics(metrics, stats);
      logger.info('batch processed', {
        records: records.length,
        ...stats,
        failures: response.batchItemFailures,
      });
      return response;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** Kinesis event source mapping entry point (ReportBatchItemFailures). */
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
