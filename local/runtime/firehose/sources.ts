import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Kafka } from 'kafkajs';
import type { ShardSource } from '../kinesis/index.js';
import type { DeliveryStream } from './delivery-stream.js';
import { KinesisSource } from './kinesis-source.js';
import { MskSource, mskConsumerGroupId } from './msk-source.js';

/** A delivery stream's source reader, Kinesis or Kafka, as the delivery drives it. */
export interface RecordSource {
  start(): void | Promise<void>;
  /** Stops reading; what was read stays in the buffers for the final flush. */
  stop(): Promise<void>;
  readToTip(): Promise<boolean>;
  /** Persists the positions up to which every record is in S3. */
  saveCheckpoints(): void | Promise<void>;
  /** Releases connections, after the final flush and save. */
  close?(): Promise<void>;
}

export interface SourceOptions {
  readonly runDir: string;
  readonly kinesis: KinesisClient;
  readonly kafka: Kafka | undefined;
  readonly pollIntervalMs: number;
  readonly shardSource: ((streamName: string) => ShardSource | undefined) | undefined;
  readonly onError: ((error: unknown) => void) | undefined;
}

/** One reader per Kinesis- or MSK-sourced delivery stream (none for DirectPut ones). */
export function createSources(streams: readonly DeliveryStream[], options: SourceOptions): RecordSource[] {
  const sources: RecordSource[] = [];
  for (const stream of streams) {
    const { source, name } = stream.config;
    if (source.type === 'KinesisStreamAsSource') {
      sources.push(
        new KinesisSource({
          client: options.kinesis,
          streamName: source.streamName,
          shardSource: options.shardSource?.(source.streamName),
          delivery: stream,
          checkpointFile: join(options.runDir, 'firehose', `${name}.checkpoints.json`),
          pollIntervalMs: options.pollIntervalMs,
          onError: options.onError,
        }),
      );
    } else if (source.type === 'MSKAsSource') {
      if (options.kafka === undefined) {
        throw new Error(
          `DeliveryStream ${name} reads Kafka topic ${source.topic} (MSKAsSource): startFirehoseDelivery needs the option kafka (a client of the local broker)`,
        );
      }
      sources.push(
        new MskSource({
          kafka: options.kafka,
          topic: source.topic,
          groupId: mskConsumerGroupId(name),
          delivery: stream,
          readFromTimestampMs: source.readFromTimestampMs,
          onError: options.onError,
        }),
      );
    }
  }
  return sources;
}
