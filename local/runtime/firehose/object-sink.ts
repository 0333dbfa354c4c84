import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DeliveryStreamConfig } from './config.js';
import type { DeliveryCounters } from './counters.js';
import type { ErrorOutputType } from './prefix.js';
import { compileTimestampPattern, zonedFields } from './timestamp-format.js';

const gzipAsync = promisify(gzip);
const suffixTime = compileTimestampPattern('yyyy-MM-dd-HH-mm-ss');

/** Where delivered objects go: LocalStack S3 in the runtime, an in-memory list in unit tests. */
export interface ObjectSink {
  put(bucket: string, key: string, body: Buffer): Promise<void>;
}

/** Writes objects with PutObject (a client configured for LocalStack: path-style, 127.0.0.1). */
export function s3ObjectSink(client: S3Client): ObjectSink {
  return {
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}

/** The contents of one buffer, ready to become one object. */
export interface ObjectContents {
  readonly partitionKeys: Readonly<Record<string, string>>;
  readonly errorOutputType: ErrorOutputType | undefined;
  readonly payloads: readonly Buffer[];
  readonly oldestArrivalMs: number;
}

/**
 * Writes one buffer as one object named like Firehose's
 * `<evaluated prefix><stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`, the times being the
 * oldest record's arrival; compresses it per CompressionFormat; retries failed writes until
 * `retryForMs` has passed (Firehose retries S3 for up to 24 hours).
 */
export async function writeObject(
  config: DeliveryStreamConfig,
  sink: ObjectSink,
  counters: DeliveryCounters,
  contents: ObjectContents,
  retryForMs: number,
): Promise<void> {
  const arrival = zonedFields(contents.oldestArrivalMs, config.timeZone);
  const isError = contents.errorOutputType !== undefined;
  const prefix = (isError ? config.errorPrefix : config.prefix).evaluate({
    arrival,
    partitionKeys: contents.partitionKeys,
    errorOutputType: contents.errorOutputType,
  });
  const key = `${prefix}${config.name}-1-${suffixTime(arrival)}-${randomUUID()}${config.fileExtension}`;
  const raw = Buffer.concat(contents.payloads);
  const body = config.compression === 'GZIP' ? await gzipAsync(raw) : raw;
  await putWithRetry(config, sink, counters, key, body, retryForMs);
  counters.bytesWritten += body.length;
  if (isError) counters.errorObjects++;
  else {
    counters.objectsWritten++;
    counters.recordsDelivered += contents.payloads.length;
  }
}

async function putWithRetry(
  config: DeliveryStreamConfig,
  sink: ObjectSink,
  counters: DeliveryCounters,
  key: string,
  body: Buffer,
  retryForMs: number,
): Promise<void> {
  const deadline = Date.now() + retryForMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await sink.put(config.bucket, key, body);
      return;
    } catch (error) {
      counters.deliveryFailures++;
      // A missing bucket does not come back by retrying: most likely LocalStack restarted without
      // persistence and lost it. Fail at once, saying so.
      if (error instanceof Error && error.name === 'NoSuchBucket') {
        throw new Error(
          `DeliveryStream ${config.name}: bucket ${config.bucket} does not exist (was LocalStack restarted?)`,
          { cause: error },
        );
      }
      if (Date.now() >= deadline) {
        throw new Error(`DeliveryStream ${config.name}: could not write s3://${config.bucket}/${key}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}
