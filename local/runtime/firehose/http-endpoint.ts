import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { DeliveryStream } from './delivery-stream.js';
import { FirehoseApiError } from './errors.js';

// PutRecordBatch / PutRecord limits of the real service.
const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_RECORD_BYTES = 1000 * 1024;
const ACCOUNT = '000000000000';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 data');
const PutRecordBatch = z.object({
  DeliveryStreamName: z.string(),
  Records: z.array(z.object({ Data: base64 })),
});
const PutRecord = z.object({ DeliveryStreamName: z.string(), Record: z.object({ Data: base64 }) });
const Describe = z.object({ DeliveryStreamName: z.string() });
const List = z.object({
  Limit: z.number().int().positive().optional(),
  DeliveryStreamType: z.string().optional(),
  ExclusiveStartDeliveryStreamName: z.string().optional(),
});

/** A running local Firehose endpoint; point `AWS_ENDPOINT_URL_FIREHOSE` at `url`. */
export interface FirehoseEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the Firehose JSON protocol (awsJson1_1, `X-Amz-Target: Firehose_20150804.<Operation>`) for
 * PutRecordBatch, PutRecord, DescribeDeliveryStream and ListDeliveryStreams, so that what the
 * functions send goes through the emulated delivery streams. Signatures are not checked.
 */
export async function startFirehoseEndpoint(
  streams: readonly DeliveryStream[],
  options: { port?: number; region?: string } = {},
): Promise<FirehoseEndpoint> {
  const byName = new Map(streams.map((s) => [s.config.name, s]));
  const region = options.region ?? 'us-east-1';
  const server = createServer((request, response) => {
    handle(request, response, byName, region).catch((error: unknown) => {
      reply(response, 500, { __type: 'ServiceUnavailableException', message: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  streams: ReadonlyMap<string, DeliveryStream>,
  region: string,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.startsWith('Firehose_20150804.') ? target.slice('Firehose_20150804.'.length) : '';
  try {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      throw new FirehoseApiError('SerializationException', 'Request body is not valid JSON');
    }
    reply(response, 200, dispatch(operation, body, streams, region));
  } catch (error) {
    if (!(error instanceof FirehoseApiError)) throw error;
    reply(response, 400, { __type: error.type, message: error.message });
  }
}

function dispatch(
  operation: string,
  body: unknown,
  streams: ReadonlyMap<string, DeliveryStream>,
  region: string,
): unknown {
  switch (operation) {
    case 'PutRecordBatch': {
      const input = parse(PutRecordBatch, body);
      const stream = directPutStream(streams, input.DeliveryStreamName, region);
      const records = input.Records.map((r) => Buffer.from(r.Data, 'base64'));
      checkBatch(records);
      stream.accept(records, Date.now());
      return {
        FailedPutCount: 0,
        Encrypted: false,
        RequestResponses: records.map(() => ({ RecordId: recordId() })),
      };
    }
    case 'PutRecord': {
      const input = parse(PutRecord, body);
      const stream = directPutStream(streams, input.DeliveryStreamName, region);
      const record = Buffer.from(input.Record.Data, 'base64');
      checkBatch([record]);
      stream.accept([record]);
      return { RecordId: recordId(), Encrypted: false };
    }
    case 'DescribeDeliveryStream': {
      const input = parse(Describe, body);
      return { DeliveryStreamDescription: describe(find(streams, input.DeliveryStreamName, region), region) };
    }
    case 'ListDeliveryStreams': {
      const input = parse(List, body);
      const names = [...streams.values()]
        .filter(
          (s) => input.DeliveryStreamType === undefined || s.config.source.type === input.DeliveryStreamType,
        )
        .map((s) => s.config.name)
        .sort()
        .filter(
          (name) =>
            input.ExclusiveStartDeliveryStreamName === undefined ||
            name > input.ExclusiveStartDeliveryStreamName,
        );
      const limit = input.Limit ?? 10;
      return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
    }
    default:
      throw new FirehoseApiError(
        'UnknownOperationException',
        `Operation ${operation || '(none)'} is not served by the local Firehose`,
      );
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new FirehoseApiError('InvalidArgumentException', z.prettifyError(result.error));
  return result.data;
}

function checkBatch(records: readonly Buffer[]): void {
  if (records.length < 1 || records.length > MAX_BATCH_RECORDS) {
    throw new FirehoseApiError(
      'InvalidArgumentException',
      `Records must have 1-${MAX_BATCH_RECORDS} entries (given ${records.length})`,
    );
  }
  const total = records.reduce((sum, r) => sum + r.length, 0);
  if (total > MAX_BATCH_BYTES) {
    throw new FirehoseApiError(
      'InvalidArgumentException',
      `Records total ${total} bytes; the limit is ${MAX_BATCH_BYTES}`,
    );
  }
  const big = records.findIndex((r) => r.length > MAX_RECORD_BYTES);
  if (big >= 0) {
    throw new FirehoseApiError(
      'InvalidArgumentException',
      `Record ${big} has ${records[big]?.length} bytes; a record may have at most ${MAX_RECORD_BYTES}`,
    );
  }
}

function find(streams: ReadonlyMap<string, DeliveryStream>, name: string, region: string): DeliveryStream {
  const stream = streams.get(name);
  if (stream === undefined) {
    throw new FirehoseApiError(
      'ResourceNotFoundException',
      `Firehose ${name} under account ${ACCOUNT} not found (${arn(name, region)})`,
    );
  }
  return stream;
}

function directPutStream(
  streams: ReadonlyMap<string, DeliveryStream>,
  name: string,
  region: string,
): DeliveryStream {
  const stream = find(streams, name, region);
  if (stream.config.source.type !== 'DirectPut') {
    throw new FirehoseApiError(
      'InvalidArgumentException',
      `This operation is not permitted on ${stream.config.source.type} delivery stream type (${name})`,
    );
  }
  return stream;
}

function arn(name: string, region: string): string {
  return `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/${name}`;
}

// Firehose record ids are long opaque strings; these only need to be unique.
function recordId(): string {
  return randomBytes(56).toString('base64url');
}

function describe(stream: DeliveryStream, region: string): unknown {
  const { config } = stream;
  return {
    DeliveryStreamName: config.name,
    DeliveryStreamARN: arn(config.name, region),
    DeliveryStreamStatus: 'ACTIVE',
    DeliveryStreamType: config.source.type,
    VersionId: '1',
    CreateTimestamp: Math.floor(Date.now() / 1000),
    HasMoreDestinations: false,
    Destinations: [
      {
        DestinationId: 'destinationId-000000000001',
        ExtendedS3DestinationDescription: {
          BucketARN: `arn:aws:s3:::${config.bucket}`,
          Prefix: config.prefix.source,
          ErrorOutputPrefix: config.errorPrefix.source,
          BufferingHints: {
            SizeInMBs: config.bufferSizeBytes / 1024 / 1024,
            IntervalInSeconds: config.bufferIntervalMs / 1000,
          },
          CompressionFormat: config.compression,
          DynamicPartitioningConfiguration: { Enabled: config.dynamicPartitioning },
        },
      },
    ],
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(status >= 400 && typeof body === 'object' && body !== null && '__type' in body
      ? { 'x-amzn-errortype': String(body.__type) }
      : {}),
  });
  response.end(text);
}
