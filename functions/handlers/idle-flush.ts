import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { idleFlushDependencies, streamBacklog } from '../adapters/aggregator/from-env.js';
import {
  flushIdleShards,
  type IdleFlushDependencies,
  type IdleFlushOutcome,
} from '../adapters/aggregator/idle-flush.js';
import { METRICS_NAMESPACE } from '../adapters/aggregator/metrics.js';
import { readIdleFlushEnv } from '../adapters/config.js';
import { IncompleteFlushError } from '../adapters/errors.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();

/** What a scheduled run reports (visible in the invocation result). */
export type IdleFlushResponse = IdleFlushOutcome;

/** Builds the handler around its dependencies, created once per container on first use. */
export function createIdleFlushHandler(create: () => IdleFlushDependencies) {
  let deps: IdleFlushDependencies | undefined;
  // One Metrics per handler: on a module-wide one, a second handler in the same process (tests,
  // benchmarks) would set the pipeline dimension again, and Powertools warns that it exists.
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  return async (_event: ScheduledEvent): Promise<IdleFlushResponse> => {
    if (!deps) {
      deps = create();
      metrics.setDefaultDimensions({ pipeline: deps.pipeline.name });
    }
    try {
      const outcome = await flushIdleShards(deps);
      metrics.addMetric('WindowsClosed', MetricUnit.Count, outcome.windowsClosed);
      metrics.addMetric('ShardsBehind', MetricUnit.Count, outcome.behind);
      logger.info('idle flush done', { ...outcome });
      return outcome;
    } catch (error) {
      // The other shards were flushed: their windows count, then the run fails (the error alarm).
      if (error instanceof IncompleteFlushError && error.outcome) {
        metrics.addMetric('WindowsClosed', MetricUnit.Count, error.outcome.windowsClosed ?? 0);
        metrics.addMetric('ShardsBehind', MetricUnit.Count, error.outcome.behind ?? 0);
        logger.error('idle flush done, some shards left unchecked or skipped', {
          ...error.outcome,
          error: error.message,
        });
      }
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** EventBridge schedule entry point (every minute). */
export const handler = createIdleFlushHandler(() => {
  const env = readIdleFlushEnv();
  const base = idleFlushDependencies(
    env,
    getPipeline(env.PIPELINE_NAME),
    { s3: new S3Client({}), firehose: new FirehoseClient({}), sqs: new SQSClient({}) },
    logger,
  );
  return { ...base, idleTimeoutMs: env.IDLE_TIMEOUT_MS, backlog: streamBacklog(env) };
});
