/**
 * The event source mapping runners. Kinesis: every `AWS::Lambda::EventSourceMapping` of the
 * template with a Kinesis source, polled against LocalStack with Lambda's semantics (batch size,
 * batching window, starting position, tumbling window, partial batch responses, bisection,
 * retries, maximum record age, SQS on-failure destination, parallelization factor), with per-shard
 * checkpoints in the run folder and live progress figures. Kafka: every mapping of an MSK cluster,
 * consumed from the local broker in its consumer group (batch size, batching window, starting
 * position, retries, maximum record age, SQS on-failure destination), offsets committed in the
 * group after each successful invocation.
 */
export { CheckpointStore, type ShardCheckpoint } from './checkpoint-store.js';
export { isKinesisMapping, type KinesisMappingConfig, readKinesisMapping } from './config.js';
export { MappingConfigError } from './errors.js';
export {
  isKafkaMapping,
  type KafkaMappingConfig,
  mskClusterArn,
  mskClusterOf,
  readKafkaMapping,
} from './kafka-config.js';
export type { KafkaPollingOptions } from './kafka-consumer.js';
export { kafkaOnFailureRecord } from './kafka-on-failure.js';
export type { KafkaMappingProgress, KafkaPartitionProgress } from './kafka-progress.js';
export {
  KafkaEventSourceMappingRunner,
  type KafkaEventSourceMappingRunnerOptions,
  readKafkaMappings,
} from './kafka-runner.js';
export { kinesisEvent, kinesisEventRecord } from './kinesis-event.js';
export { type KafkaRecord, type MskEventSource, mskEvent, mskEventRecord } from './msk-event.js';
export { onFailureRecord, queueUrlFromArn } from './on-failure.js';
export type { MappingProgress, ShardProgress } from './progress.js';
export { EventSourceMappingRunner, type EventSourceMappingRunnerOptions } from './runner.js';
