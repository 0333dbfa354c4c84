import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCheckpoint } from '../../functions/adapters/state/checkpoint.js';
import { definePipeline } from '../../functions/core/pipeline.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { assemblyDirOf, ensureSynthesized } from '../../local/runtime/synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../../local/runtime/template/index.js';
import { kinesisClient, readServices, s3Client, sqsClient } from '../../local/services/clients.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { committedCheckpoint } from '../fixtures/checkpoints.js';
import { taxiTrip } from '../fixtures/taxi-trips.js';
import { writeAppAssembly } from '../unit/runtime/invoke/app-template.js';
import { resourceOf as functionResource } from './helpers/function-resources.js';
import { type CliRun, drainQueue, invokeCli } from './helpers/invoke-cli.js';
import { pollUntil } from './helpers/poll.js';

const fixture = (path: string) => join(projectRoot, 'test', 'fixtures', path);
/** The Lambda documentation's Kinesis sample records, as Powertools publishes them. */
const KINESIS_SAMPLE = fixture('aws/powertools-python-kinesis-stream-event.json');
const AGGREGATOR = 'Aggregator-taxi-rides/Handler';
/** The deploy's checkpoint check (Custom::PipelineStateCheck). */
const STATE_CHECK = 'StateChecks/Handler';
/** AWS's MSK sample event, as aws-lambda-go publishes it. */
const KAFKA_SAMPLE = fixture('aws/aws-lambda-go-kafka-event.json');

const invoke = invokeCli;

let assembly: CloudAssembly;
let s3: S3Client;
let sqs: SQSClient;
let kinesis: KinesisClient;

/** The physical name of the resource of `type` that a function's environment names. */
function resourceOf(functionQuery: string, type: string, app: CloudAssembly = assembly): string {
  return functionResource(app, functionQuery, type);
}

const drain = (queueUrl: string) => drainQueue(sqs, queueUrl);

beforeAll(async () => {
  await ensureSynthesized();
  await ensureSynthesized({ transport: 'msk' });
  const endpoint = readServices().localstack?.endpoint;
  assembly = CloudAssembly.load(undefined, defaultLocalContext(endpoint ? { endpoint } : {}));
  s3 = s3Client();
  sqs = sqsClient();
  kinesis = kinesisClient();
});

describe('tributary invoke against LocalStack', () => {
  it('runs the aggregator on the AWS Kinesis sample event: a response, the records dead-lettered with reasons', async () => {
    // Prepare: a first invoke provisions the queue and bucket; then forget what earlier runs did
    // (the checkpoint would skip the sample's sequence numbers, the queue holds their letters).
    const event = JSON.parse(readFileSync(KINESIS_SAMPLE, 'utf8'));
    const first = await invoke([AGGREGATOR, '--event', KINESIS_SAMPLE]);
    expect(first.code, first.stderr).toBe(0);
    const queueName = resourceOf(AGGREGATOR, 'AWS::SQS::Queue');
    const { QueueUrl = '' } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    const shard = String(event.Records[0].eventID).split(':')[0];
    await s3.send(
      new DeleteObjectCommand({
        Bucket: resourceOf(AGGREGATOR, 'AWS::S3::Bucket'),
        Key: `state/taxi-rides/${shard}.json`,
      }),
    );
    await drain(QueueUrl);

    // Act
    const run = await invoke([AGGREGATOR, '--event', KINESIS_SAMPLE]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ batchItemFailures: [] });
    expect(run.stderr).toMatch(/START RequestId: .*\n(.*\n)*.*REPORT RequestId/);
    expect(run.stderr).toContain(`SQS ${queueName}: 2 messages added`);
    const letters = (await drain(QueueUrl)).map((b) => JSON.parse(b));
    const sequences = event.Records.map(
      (r: { kinesis: { sequenceNumber: string } }) => r.kinesis.sequenceNumber,
    );
    expect(letters.map((l) => l.sequence_number).sort()).toEqual([...sequences].sort());
    for (const letter of letters) {
      // AWS's sample records carry plain text, not Tributary envelopes.
      expect(letter).toMatchObject({
        pipeline: 'taxi-rides',
        shard,
        reason: expect.stringMatching(/^(not-json|invalid-envelope): \S/),
      });
    }
  });

  it('runs the producer on a function URL request: the events are in the pipeline stream', async () => {
    // Prepare: AWS's function URL sample, with Tributary's path and a body of two taxi trips.
    const pickupMs = Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 86_400_000);
    const request = JSON.parse(readFileSync(fixture('aws/aws-lambda-go-lambda-urls-request.json'), 'utf8'));
    request.rawPath = '/pipelines/taxi-rides/events';
    request.requestContext.http.path = request.rawPath;
    request.body = JSON.stringify({
      events: [taxiTrip({ zone: 161, pickupMs }), taxiTrip({ zone: 162, pickupMs: pickupMs + 1 })],
    });
    const file = join(mkdtempSync(join(tmpdir(), 'invoke-url-')), 'request.json');
    writeFileSync(file, JSON.stringify(request));
    const startedAt = new Date(Date.now() - 1_000);

    // Act
    const run = await invoke(['Producer/Handler', '--event', file]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const response = JSON.parse(run.stdout);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ pipeline: 'taxi-rides', accepted: 2, rejected: [] });
    const streamName = resourceOf('Producer/Handler', 'AWS::Kinesis::Stream');
    const stream = await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
    const shards = stream.StreamDescription?.Shards ?? [];
    const ours = await pollUntil(
      async () => {
        const found: { ts: number }[] = [];
        for (const shard of shards) {
          const { ShardIterator } = await kinesis.send(
            new GetShardIteratorCommand({
              StreamName: streamName,
              ShardId: shard.ShardId,
              ShardIteratorType: 'AT_TIMESTAMP',
              Timestamp: startedAt,
            }),
          );
          const out = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }));
          for (const r of out.Records ?? []) {
            const envelope = JSON.parse(Buffer.from(r.Data ?? []).toString('utf8'));
            if (envelope.ts === pickupMs || envelope.ts === pickupMs + 1) found.push(envelope);
          }
        }
        return found;
      },
      (found) => found.length >= 2,
      { timeoutMs: 10_000 },
    );
    expect(ours).toHaveLength(2);
    expect(ours[0]).toMatchObject({ v: 1, pipeline: 'taxi-rides' });
  });

  it('runs the idle flush on AWS scheduled event sample', async () => {
    // Act
    const run = await invoke([
      'Aggregator-taxi-rides/IdleFlush',
      '--event',
      fixture('aws/powertools-ts-cloudwatch-scheduled-event.json'),
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ shardsChecked: expect.any(Number), windowsClosed: 0 });
  });

  it('exits 2 for an event file that is not JSON, naming it, without invoking anything', async () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'invoke-bad-')), 'broken.json');
    writeFileSync(file, '{"Records": [');

    // Act
    const run = await invoke([AGGREGATOR, '--event', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: not valid JSON`);
    expect(run.stderr).not.toContain('START RequestId');
    expect(run.stdout).toBe('');
  });

  it("runs the MSK app's aggregator with --transport msk on AWS's MSK sample: its record dead-lettered at its partition and offset", async () => {
    // Prepare: as for Kinesis, a first invoke provisions the MSK app's queue and bucket; then forget
    // what earlier runs did
    const mskAssembly = CloudAssembly.load(
      assemblyDirOf({ transport: 'msk' }),
      defaultLocalContext({ endpoint: readServices().localstack?.endpoint }),
    );
    const first = await invoke([AGGREGATOR, '--event', KAFKA_SAMPLE, '--transport', 'msk']);
    expect(first.code, first.stderr).toBe(0);
    const queueName = resourceOf(AGGREGATOR, 'AWS::SQS::Queue', mskAssembly);
    const { QueueUrl = '' } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
    await s3.send(
      new DeleteObjectCommand({
        Bucket: resourceOf(AGGREGATOR, 'AWS::S3::Bucket', mskAssembly),
        Key: 'state/taxi-rides/AWSKafkaTopic-0.json',
      }),
    );
    await drain(QueueUrl);

    // Act
    const run = await invoke([AGGREGATOR, '--event', KAFKA_SAMPLE, '--transport', 'msk']);

    // Assess: the sample's value is not a Tributary envelope
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('note: the event looks like');
    expect(run.stderr).toContain(`SQS ${queueName}: 1 message added`);
    expect((await drain(QueueUrl)).map((b) => JSON.parse(b))).toEqual([
      expect.objectContaining({
        pipeline: 'taxi-rides',
        shard: 'AWSKafkaTopic-0',
        sequence_number: '0',
        reason: expect.stringMatching(/^(not-json|invalid-envelope): \S/),
      }),
    ]);
  });

  it('exits 2 for a transport it does not know, or --transport with --assembly', async () => {
    // Act
    const unknown = await invoke([AGGREGATOR, '--event', KAFKA_SAMPLE, '--transport', 'kafka']);
    const both = await invoke([
      AGGREGATOR,
      '--event',
      KAFKA_SAMPLE,
      '--transport',
      'msk',
      '--assembly',
      'cdk.out',
    ]);

    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--transport must be kinesis or msk (given "kafka")');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      'give --assembly (a folder) or --transport (the app to synthesize), not both',
    );
  });

  it('exits 2 for an unknown function, listing the template functions', async () => {
    // Act
    const run = await invoke(['Aggregator-nope/Handler', '--event', KINESIS_SAMPLE]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown function "Aggregator-nope/Handler"');
    expect(run.stderr).toContain('Tributary-dev/Aggregator-taxi-rides/Handler/Function');
  });

  it('exits 1 when the handler throws, with its error type and message', async () => {
    // Prepare: a small app whose `Thrower` function throws a TypeError.
    const assemblyDir = writeAppAssembly();

    // Act
    const run = await invoke(['Thrower', '--event', KINESIS_SAMPLE, '--assembly', assemblyDir]);

    // Assess
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('TypeError: boom: expected a Kinesis event');
    expect(JSON.parse(run.stdout)).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'boom: expected a Kinesis event',
    });
  });

  it('prints what the handler returned, exit 0 (a small fixture app via --assembly)', async () => {
    // Prepare
    const assemblyDir = writeAppAssembly();

    // Act
    const run = await invoke(['Producer/Handler', '--event', KINESIS_SAMPLE, '--assembly', assemblyDir]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ got: JSON.parse(readFileSync(KINESIS_SAMPLE, 'utf8')) });
    expect(run.stderr).toContain('note: the event looks like a Kinesis tumbling-window event');
  });

  it("runs the deploy's checkpoint check on a CloudFormation Update: exit 0, then exit 1 naming a checkpoint that holds windows of other aggregations", async () => {
    // Prepare: the taxi-rides check as the template has it, and a checkpoint written by an older
    // definition of taxi-rides (one aggregation) that still holds a window
    const [resource] = assembly
      .resources('Custom::PipelineStateCheck')
      .filter((r) => r.rawProperties.Pipeline === 'taxi-rides');
    const { ServiceToken: _, ...properties } = resource?.rawProperties ?? {};
    const eventFile = join(mkdtempSync(join(tmpdir(), 'tributary-state-check-')), 'update.json');
    writeFileSync(
      eventFile,
      JSON.stringify({
        RequestType: 'Update',
        ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
        ResponseURL: 'https://example.invalid/response',
        StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Tributary-dev/1',
        RequestId: 'request-1',
        LogicalResourceId: resource?.logicalId,
        PhysicalResourceId: 'taxi-rides-state-check',
        ResourceType: 'Custom::PipelineStateCheck',
        ResourceProperties: properties,
        // The update from the older definition below, which holds one aggregation
        OldResourceProperties: { ...properties, Aggregations: JSON.stringify(['trips:count']) },
      }),
    );
    const taxi = getPipeline('taxi-rides');
    const older = definePipeline({ ...taxi.config, aggregations: { trips: { fn: 'count' } } });
    const trip = taxiTrip({ zone: 132, pickupMs: Date.UTC(2026, 0, 1) });
    const parsed = older.parseEvent(trip);
    if (!parsed.ok) throw new Error(parsed.reason);
    const engine = older
      .createEngine()
      .process(undefined, [{ key: parsed.key, ts: parsed.ts, value: trip }]).state;
    const shard = 'shardId-000000009999';
    // The first invoke provisions the state bucket; its checkpoints (if earlier tests wrote any) fit.
    const passed = await invoke([STATE_CHECK, '--event', eventFile]);
    const bucket = resourceOf(STATE_CHECK, 'AWS::S3::Bucket');
    const key = `state/taxi-rides/${shard}.json`;
    const body = encodeCheckpoint(
      committedCheckpoint({
        pipeline: 'taxi-rides',
        shard,
        position: { sequenceNumber: '1', subSequenceNumber: undefined },
        engine,
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

    // Act
    let refused: CliRun;
    try {
      refused = await invoke([STATE_CHECK, '--event', eventFile]);
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }

    // Assess
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(
      /pipeline taxi-rides: 1 of \d+ checkpoints cannot continue under the definition this stack update deploys/,
    );
    expect(refused.stderr).toContain(`${shard}: state holds aggregations ["trips:count"]`);
    expect(passed.code, passed.stderr).toBe(0);
    expect(JSON.parse(passed.stdout)).toMatchObject({ PhysicalResourceId: 'taxi-rides-state-check' });
  });

  describe("with an AWS Firehose sample event, which is not the aggregator's source", () => {
    let run: CliRun;
    beforeAll(async () => {
      run = await invoke([
        AGGREGATOR,
        '--event',
        fixture('events/aws-lambda-go-kinesis-firehose-event.json'),
      ]);
    });

    it('warns that the event does not fit the function and still invokes it', () => {
      // Assess
      expect(run.stderr).toContain('note: the event looks like a Firehose data transformation event');
      expect(run.stderr).toContain('START RequestId');
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    });

    it('the aggregator dead-letters the event instead of throwing (exit 0)', () => {
      // Assess
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ batchItemFailures: [] });
    });
  });
});
