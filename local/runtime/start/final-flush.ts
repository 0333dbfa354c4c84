import { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { idleFlushDependencies } from '../../../functions/adapters/aggregator/from-env.js';
import { flushIdleShards, type IdleFlushOutcome } from '../../../functions/adapters/aggregator/idle-flush.js';
import type { StreamBacklog } from '../../../functions/adapters/aggregator/stream-backlog.js';
import { readAggregatorEnv } from '../../../functions/adapters/config.js';
import type { WindowSpec } from '../../../functions/core/types.js';
import type { AnyPipeline } from '../../../functions/pipelines/index.js';
import { LOCAL_REGION } from '../../services/clients.js';

/** How far stream time must move past the last record for every window to close: span + grace. */
export function closingHorizonMs(window: WindowSpec): number {
  switch (window.type) {
    case 'tumbling':
    case 'hopping':
      return window.sizeMs + window.graceMs;
    case 'session':
      return window.gapMs + window.graceMs;
    case 'sliding':
      return window.timeDifferenceMs + window.graceMs;
  }
}

/**
 * The end of a finite run. Stream time only moves with records, so the last windows of every
 * shard stay open; in AWS the idle-flush schedule closes them once a shard has been quiet for
 * IDLE_TIMEOUT_MS, advancing stream time by the quiet wall-clock time. A local run cannot wait
 * the hour a taxi-rides window needs (5 min + 60 min grace), so this runs the very same
 * `flushIdleShards` once, in process, with its clock moved forward by the window's closing
 * horizon (+1 min) and no idle timeout: every open window of every shard closes and goes to the
 * aggregates delivery stream, exactly as the schedule would do an hour later. The windows it
 * closes carry that advanced clock in `emitted_at`. Like the schedule's, it leaves a shard whose
 * stream still holds records the mapping has not delivered (`backlog`): after the catch-up there
 * should be none, and a shard left open shows in the reconciliation.
 */
export async function finalFlush(options: {
  readonly pipeline: AnyPipeline;
  readonly aggregatorEnv: Readonly<Record<string, string>>;
  readonly s3: S3Client;
  /** For dead letters of records a redrive queued (the run's dead-letter queue in LocalStack). */
  readonly sqs: SQSClient;
  /** The local Firehose endpoint (DirectPut) the functions send to. */
  readonly firehoseEndpoint: string;
  /** The run's stream, as the idle flush reads it. */
  readonly backlog: StreamBacklog;
}): Promise<IdleFlushOutcome> {
  const env = readAggregatorEnv({ ...options.aggregatorEnv });
  const firehose = new FirehoseClient({
    endpoint: options.firehoseEndpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const shiftMs = closingHorizonMs(options.pipeline.window) + 60_000;
  const deps = idleFlushDependencies(env, options.pipeline, { s3: options.s3, firehose, sqs: options.sqs });
  try {
    return await flushIdleShards({
      ...deps,
      backlog: options.backlog,
      idleTimeoutMs: 0,
      now: () => Date.now() + shiftMs,
    });
  } finally {
    firehose.destroy();
  }
}
