/**
 * The Kinesis event source mapping runner: every `AWS::Lambda::EventSourceMapping` of the template
 * with a Kinesis source, polled against LocalStack with Lambda's semantics (batch size, batching
 * window, starting position, tumbling window, partial batch responses, bisection, retries,
 * maximum record age, SQS on-failure destination, parallelization factor), with per-shard
 * checkpoints in the run folder and live progress figures.
 */
export { CheckpointStore, type ShardCheckpoint } from './checkpoint-store.js';
export { isKinesisMapping, type KinesisMappingConfig, readKinesisMapping } from './config.js';
export { MappingConfigError } from './errors.js';
export { kinesisEvent, kinesisEventRecord } from './kinesis-event.js';
export { onFailureRecord, queueUrlFromArn } from './on-failure.js';
export type { MappingProgress, ShardProgress } from './progress.js';
export { EventSourceMappingRunner, type EventSourceMappingRunnerOptions } from './runner.js';
