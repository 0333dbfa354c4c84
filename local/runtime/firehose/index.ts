import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Kafka } from 'kafkajs';
import type { ShardSource } from '../kinesis/index.js';
import { parseDeliveryStream } from './config.js';
import { type DeliveryCounters, emptyCounters } from './counters.js';
import { DeliveryStream } from './delivery-stream.js';
import { type FirehoseEndpoint, startFirehoseEndpoint } from './http-endpoint.js';
import { s3ObjectSink } from './object-sink.js';
import { createSources } from './sources.js';

export type { DeliveryStreamConfig } from './config.js';
export { parseDeliveryStream } from './config.js';
export type { DeliveryCounters } from './counters.js';
export { DeliveryStream } from './delivery-stream.js';
export { FirehoseApiError, FirehoseConfigError } from './errors.js';
export { type FirehoseEndpoint, startFirehoseEndpoint } from './http-endpoint.js';
export { KinesisSource } from './kinesis-source.js';
export { MskSource, mskConsumerGroupId } from './msk-source.js';

/** How often a Kinesis-sourced delivery stream reads each shard by default (see pollIntervalMs). */
export const KINESIS_POLL_INTERVAL_MS = 5_000;

/** One `AWS::KinesisFirehose::DeliveryStream` of the template, its intrinsics resolved to local names. */
export interface DeliveryStreamResource {
  readonly logicalId: string;
  /** The local physical name (the name functions see in their environment). */
  readonly physicalName: string;
  readonly properties: unknown;
}

/** What the template reader (local/runtime/template `CloudAssembly`) offers; typed here by shape. */
export interface DeliveryStreamSource {
  resources(type: string): readonly { logicalId: string; physicalName: string; properties(): unknown }[];
}

/** The template's delivery streams with local names, ready for {@link startFirehoseDelivery}. */
export function deliveryStreamResources(assembly: DeliveryStreamSource): DeliveryStreamResource[] {
  return assembly.resources('AWS::KinesisFirehose::DeliveryStream').map((r) => ({
    logicalId: r.logicalId,
    physicalName: r.physicalName,
    properties: r.properties(),
  }));
}

export interface FirehoseDeliveryOptions {
  readonly resources: readonly DeliveryStreamResource[];
  /** LocalStack clients (S3 path-style; Kinesis with an HTTP/1.1 handler). */
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  /**
   * A client of the local Kafka broker (local/services/clients.ts `kafka()`): required when a stream
   * is MSKAsSource. Each such stream reads its topic with the consumer group `firehose-<stream name>`.
   */
  readonly kafka?: Kafka;
  /** The run folder: Kinesis positions go to `<runDir>/firehose/<stream>.checkpoints.json`. */
  readonly runDir: string;
  /** Port of the local Firehose endpoint. @default a free port */
  readonly endpointPort?: number;
  readonly region?: string;
  /**
   * The least time between two GetRecords on a shard. Firehose reads about once a second; here
   * the default is 5 s. Delivery does not change (buffers hold at least 60 s, and a run's end reads
   * to the tip: readToTip), but each read costs kinesis-mock ~12 ms of its single thread whatever
   * it returns, and that thread is what the producer and the event source mappings wait for.
   * @default KINESIS_POLL_INTERVAL_MS
   */
  readonly pollIntervalMs?: number;
  /** The reads of a Kinesis source stream (shared with the event source mapping). @default direct */
  readonly shardSource?: (streamName: string) => ShardSource | undefined;
  /** Failures that do not stop delivery (a retried S3 write, a failed GetRecords). */
  readonly onError?: (error: unknown) => void;
}

/** The running Firehose emulation of one synthesized app. */
export interface FirehoseDelivery {
  readonly streams: readonly DeliveryStream[];
  /** The local endpoint: give functions `AWS_ENDPOINT_URL_FIREHOSE=<endpoint.url>`. */
  readonly endpoint: FirehoseEndpoint;
  /** Counters per delivery stream name, with the records still buffered. */
  counters(): Record<string, DeliveryCounters & { buffered: number }>;
  /** All streams added up, for the progress line. */
  totals(): DeliveryCounters & { buffered: number };
  /**
   * Reads every Kinesis or Kafka source to where it stood at the call (KinesisSource.readToTip,
   * MskSource.readToTip); false if a shard or partition did not get there in time.
   */
  readToTip(): Promise<boolean>;
  /** Writes every buffer now and saves the Kinesis positions / commits the Kafka offsets; delivery goes on. */
  flush(): Promise<void>;
  /** Stops the endpoint and the readers, flushes, saves positions, leaves Kafka groups (end of a run). */
  stop(): Promise<void>;
}

/**
 * Starts a delivery stream per template resource: an S3 writer with Firehose's buffering, the
 * Kinesis reader for KinesisStreamAsSource streams, the Kafka reader for MSKAsSource ones, and one
 * local endpoint for DirectPut ones.
 * Configuration errors (a processor or prefix the emulation cannot honour) are thrown here, before
 * any record flows.
 */
export async function startFirehoseDelivery(options: FirehoseDeliveryOptions): Promise<FirehoseDelivery> {
  const sink = s3ObjectSink(options.s3);
  const streams = options.resources.map((r) => {
    const config = parseDeliveryStream(r.logicalId, r.properties, r.physicalName);
    // Kinesis- and MSK-sourced streams need no spool: their positions only move past delivered records.
    const spoolFile =
      config.source.type === 'DirectPut'
        ? join(options.runDir, 'firehose', `${config.name}.spool.jsonl`)
        : undefined;
    return new DeliveryStream(config, sink, { onError: options.onError, spoolFile });
  });
  // What a killed earlier run had accepted by direct put and not yet written goes out first.
  for (const stream of streams) stream.recover();
  const sources = createSources(streams, {
    runDir: options.runDir,
    kinesis: options.kinesis,
    kafka: options.kafka,
    pollIntervalMs: options.pollIntervalMs ?? KINESIS_POLL_INTERVAL_MS,
    shardSource: options.shardSource,
    onError: options.onError,
  });
  const endpoint = await startFirehoseEndpoint(streams, {
    port: options.endpointPort,
    region: options.region,
  });
  const stop = async () => {
    await endpoint.close();
    await Promise.all(sources.map((s) => s.stop()));
    try {
      await Promise.all(streams.map((s) => s.stop()));
      await Promise.all(sources.map((s) => s.saveCheckpoints()));
    } finally {
      // Kafka consumers leave their group even when a write failed: the process must be able to exit.
      await Promise.all(sources.map((s) => s.close?.()));
    }
  };
  for (const stream of streams) stream.start();
  try {
    await Promise.all(sources.map((s) => s.start()));
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const flush = async () => {
    await Promise.all(streams.map((s) => s.flush()));
    await Promise.all(sources.map((s) => s.saveCheckpoints()));
  };
  const counters = () =>
    Object.fromEntries(streams.map((s) => [s.config.name, { ...s.counters, buffered: s.bufferedRecords }]));
  return {
    streams,
    endpoint,
    counters,
    totals() {
      const total = { ...emptyCounters(), buffered: 0 };
      for (const c of Object.values(counters())) {
        for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += c[key];
      }
      return total;
    },
    async readToTip() {
      const reached = await Promise.all(sources.map((s) => s.readToTip()));
      return reached.every(Boolean);
    },
    flush,
    stop,
  };
}
