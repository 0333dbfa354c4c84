import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { envelopeSchema } from '../../../functions/adapters/kinesis/envelope.js';
import { kinesisWriter } from '../../../functions/adapters/producer/record-writer.js';
import type { createProducerHandler as CreateHandler } from '../../../functions/handlers/producer.js';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { awsSample } from '../../fixtures/kinesis-events.js';
import { taxiTrip } from '../../fixtures/taxi-trips.js';

const T0 = Date.UTC(2026, 0, 1);
let createProducerHandler: typeof CreateHandler;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ createProducerHandler } = await import('../../../functions/handlers/producer.js'));
});

/** The published function URL request with our path and body. */
function request(path: string, body: unknown, base64 = false): LambdaFunctionURLEvent {
  const sample = awsSample<LambdaFunctionURLEvent>('aws-lambda-go-lambda-urls-request.json');
  const text = JSON.stringify(body);
  return {
    ...sample,
    rawPath: path,
    requestContext: { ...sample.requestContext, http: { ...sample.requestContext.http, path } },
    body: base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: base64,
  };
}

/** `failCall`: that PutRecords call (1-based) fails as a whole, as after the SDK's own retries. */
function setup(throttleFirst = 0, failCall?: number) {
  const sent: PutRecordsCommand['input'][] = [];
  let throttled = 0;
  const handler = createProducerHandler(() => ({
    streamNames: { 'taxi-rides': 'tributary-taxi-rides' },
    pipelineOf: (name) => getPipeline(name),
    writer: kinesisWriter({
      backoff: { sleep: async () => {} },
      client: {
        async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
          sent.push(command.input);
          if (sent.length === failCall)
            throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalFailure' });
          const records = (command.input.Records ?? []).map(() =>
            throttled++ < throttleFirst
              ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }
              : { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
          );
          return {
            $metadata: {},
            FailedRecordCount: records.filter((r) => 'ErrorCode' in r).length,
            Records: records,
          };
        },
      },
    }),
  }));
  return { handler, sent };
}

describe('producer handler', () => {
  it('answers the AWS sample request (POST /my/path) with 404 and the reason', async () => {
    // Prepare
    const { handler, sent } = setup();
    const event = awsSample<LambdaFunctionURLEvent>('aws-lambda-go-lambda-urls-request.json');

    // Act
    const response = await handler(event);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(String(response.body)).message).toContain('/my/path');
    expect(sent).toEqual([]);
  });

  it('writes valid events as envelopes keyed by pipeline key and reports invalid ones by index', async () => {
    // Prepare
    const { handler, sent } = setup();
    const events = [
      taxiTrip({ zone: 132, pickupMs: T0 }),
      { VendorID: 'x' },
      taxiTrip({ zone: 48, pickupMs: T0 }),
    ];

    // Act
    const response = await handler(request('/pipelines/taxi-rides/events', { events }, true));

    // Assess
    const body = JSON.parse(String(response.body));
    expect(response.statusCode).toBe(207);
    expect(body).toMatchObject({ pipeline: 'taxi-rides', accepted: 2, rejected: [{ index: 1 }] });
    expect(body.rejected[0].reason).toMatch(/^invalid-event: does not match the taxi-rides schema/);
    const records = sent[0]?.Records ?? [];
    expect(records.map((r) => r.PartitionKey)).toEqual(['132', '48']);
    const envelope = envelopeSchema.parse(JSON.parse(Buffer.from(records[0]?.Data ?? []).toString()));
    expect(envelope).toMatchObject({ v: 1, pipeline: 'taxi-rides', key: '132', ts: T0 });
    expect(sent[0]?.StreamName).toBe('tributary-taxi-rides');
  });

  it('retries throttled entries and answers 200 once they are written', async () => {
    // Prepare: the first two entries are throttled once.
    const { handler, sent } = setup(2);
    const events = [1, 2, 3].map((i) => taxiTrip({ zone: i, pickupMs: T0 }));

    // Act
    const response = await handler(request('/', { pipeline: 'taxi-rides', events }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({ pipeline: 'taxi-rides', accepted: 3, rejected: [] });
    expect(sent.map((input) => input.Records?.length)).toEqual([3, 2]);
  });

  it('answers 207 with the events written and the rest rejected when a later PutRecords call fails as a whole', async () => {
    // Prepare: 600 events make two calls (500 + 100); the second fails.
    const { handler, sent } = setup(0, 2);
    const events = Array.from({ length: 600 }, (_, i) => taxiTrip({ zone: 1 + (i % 200), pickupMs: T0 + i }));

    // Act
    const response = await handler(request('/pipelines/taxi-rides/events', { events }));

    // Assess: the first 500 were written, so the caller must learn that instead of resending them.
    const body = JSON.parse(String(response.body));
    expect(response.statusCode).toBe(207);
    expect(body.accepted).toBe(500);
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual(
      Array.from({ length: 100 }, (_, i) => 500 + i),
    );
    expect(body.rejected[0].reason).toMatch(/^InternalFailure: We encountered an internal error/);
    expect(sent.map((input) => input.Records?.length)).toEqual([500, 100]);
  });

  it('answers 400 saying what it expects to an event that is not a function URL request', async () => {
    // Prepare
    const { handler, sent } = setup();

    // Act
    const response = await handler({} as LambdaFunctionURLEvent);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(String(response.body)).message).toMatch(/^expected a Lambda function URL request/);
    expect(sent).toEqual([]);
  });

  it('refuses an unknown pipeline and a body without events', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const unknown = await handler(request('/pipelines/nope/events', { events: [{}] }));
    const empty = await handler(request('/', { pipeline: 'taxi-rides', events: [] }));

    // Assess
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(String(unknown.body)).message).toContain('unknown pipeline "nope"');
    expect(empty.statusCode).toBe(400);
  });
});
