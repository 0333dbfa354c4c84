import type { AggregatorClients } from '../../../functions/adapters/aggregator/from-env.js';
import type { S3StateClient } from '../../../functions/adapters/state/s3-state-store.js';

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

interface S3Input {
  Key?: string;
  Body?: Uint8Array;
  IfMatch?: string;
  IfNoneMatch?: string;
  Prefix?: string;
}

/**
 * Stub SDK clients for the aggregator's three services, answering like the services do for the
 * calls it makes: S3 GetObject/PutObject (with If-Match / If-None-Match) and ListObjectsV2,
 * Firehose PutRecordBatch, SQS SendMessageBatch.
 */
export function stubAwsClients() {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  const firehose: { stream: string; line: string }[] = [];
  const sqs: unknown[] = [];
  let version = 0;

  const s3 = {
    async send(command: { constructor: { name: string }; input: S3Input }) {
      const input = command.input;
      switch (command.constructor.name) {
        case 'GetObjectCommand': {
          const found = objects.get(input.Key ?? '');
          if (!found) throw s3Error('NoSuchKey', 404);
          return { ETag: found.etag, Body: { transformToByteArray: async () => found.body }, $metadata: {} };
        }
        case 'PutObjectCommand': {
          const current = objects.get(input.Key ?? '');
          if (input.IfNoneMatch === '*' && current) throw s3Error('PreconditionFailed', 412);
          if (input.IfMatch !== undefined && current?.etag !== input.IfMatch)
            throw s3Error('PreconditionFailed', 412);
          version += 1;
          const etag = `"etag-${version}"`;
          objects.set(input.Key ?? '', { body: Buffer.from(input.Body ?? []), etag });
          return { ETag: etag, $metadata: {} };
        }
        case 'ListObjectsV2Command':
          return {
            Contents: [...objects.keys()]
              .filter((k) => k.startsWith(input.Prefix ?? ''))
              .map((Key) => ({ Key })),
            IsTruncated: false,
            $metadata: {},
          };
        default:
          throw new Error(`stub S3 does not answer ${command.constructor.name}`);
      }
    },
  } as unknown as S3StateClient;

  const clients: AggregatorClients = {
    s3,
    firehose: {
      async send(command) {
        for (const record of command.input.Records ?? []) {
          firehose.push({
            stream: command.input.DeliveryStreamName ?? '',
            line: Buffer.from(record.Data ?? []).toString(),
          });
        }
        return {
          $metadata: {},
          FailedPutCount: 0,
          RequestResponses: (command.input.Records ?? []).map(() => ({})),
        };
      },
    },
    sqs: {
      async send(command) {
        const entries = command.input.Entries ?? [];
        // SQS refuses a whole call over 256 KiB.
        const bytes = entries.reduce((n, entry) => n + Buffer.byteLength(entry.MessageBody ?? ''), 0);
        if (bytes > 256 * 1024) {
          throw Object.assign(new Error(`Batch requests cannot be longer than 262144 bytes (${bytes})`), {
            name: 'BatchRequestTooLong',
          });
        }
        for (const entry of entries) sqs.push(JSON.parse(entry.MessageBody ?? 'null'));
        return { $metadata: {}, Successful: [], Failed: [] };
      },
    },
  };
  return { clients, objects, firehose, sqs };
}

/** The aggregator's environment as the infra sets it. */
export const aggregatorEnv = {
  PIPELINE_NAME: 'taxi-rides',
  STATE_BUCKET: 'tributary-state',
  STATE_PREFIX: 'state/',
  AGGREGATES_DELIVERY_STREAM: 'tributary-aggregates',
  LATE_DELIVERY_STREAM: 'tributary-late',
  DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:4566/000000000000/taxi-rides-dlq',
  IDLE_TIMEOUT_MS: '120000',
};
