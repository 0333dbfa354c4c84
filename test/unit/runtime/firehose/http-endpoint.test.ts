import {
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeliveryStream } from '../../../../local/runtime/firehose/config.js';
import { DeliveryStream } from '../../../../local/runtime/firehose/delivery-stream.js';
import {
  type FirehoseEndpoint,
  startFirehoseEndpoint,
} from '../../../../local/runtime/firehose/http-endpoint.js';
import type { ObjectSink } from '../../../../local/runtime/firehose/object-sink.js';
import { directPutProperties, rawProperties } from './fixtures/delivery-streams.js';

const objects: { key: string; body: Buffer }[] = [];
const sink: ObjectSink = {
  async put(_bucket, key, body) {
    objects.push({ key, body });
  },
};
const direct = new DeliveryStream(parseDeliveryStream('Plain', directPutProperties), sink);
const fromKinesis = new DeliveryStream(parseDeliveryStream('Raw', rawProperties, 'raw-from-kinesis'), sink);
let endpoint: FirehoseEndpoint;
let client: FirehoseClient;

beforeAll(async () => {
  endpoint = await startFirehoseEndpoint([direct, fromKinesis]);
  // The functions find the endpoint through AWS_ENDPOINT_URL_FIREHOSE, which SDK v3 reads itself.
  process.env.AWS_ENDPOINT_URL_FIREHOSE = endpoint.url;
  client = new FirehoseClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_FIREHOSE;
  client.destroy();
  await endpoint.close();
});

describe('local Firehose endpoint (SDK v3 client)', () => {
  it('accepts PutRecordBatch and answers like Firehose, one RecordId per record', async () => {
    // Act
    const response = await client.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'plain-direct-put',
        Records: [{ Data: Buffer.from('{"a":1}\n') }, { Data: Buffer.from('{"a":2}\n') }],
      }),
    );
    await direct.flush();

    // Assess
    expect(response.FailedPutCount).toBe(0);
    expect(response.RequestResponses?.map((r) => typeof r.RecordId)).toEqual(['string', 'string']);
    expect(objects.at(-1)?.body.toString()).toBe('{"a":1}\n{"a":2}\n');
  });

  it('accepts PutRecord', async () => {
    const response = await client.send(
      new PutRecordCommand({ DeliveryStreamName: 'plain-direct-put', Record: { Data: Buffer.from('x') } }),
    );
    expect(response.RecordId).toEqual(expect.any(String));
    expect(direct.bufferedRecords).toBe(1);
    await direct.flush();
  });

  it('reports an unknown stream as ResourceNotFoundException', async () => {
    await expect(
      client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'nope', Records: [{ Data: Buffer.from('x') }] }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses direct put into a stream whose source is Kinesis, and batches over 500 records', async () => {
    await expect(
      client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'raw-from-kinesis',
          Records: [{ Data: Buffer.from('x') }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgumentException' });
    const tooMany = Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') }));
    await expect(
      client.send(new PutRecordBatchCommand({ DeliveryStreamName: 'plain-direct-put', Records: tooMany })),
    ).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      message: expect.stringContaining('given 501'),
    });
  });

  it('describes and lists the delivery streams of the template', async () => {
    const described = await client.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'raw-from-kinesis' }),
    );
    const listed = await client.send(new ListDeliveryStreamsCommand({}));
    expect(described.DeliveryStreamDescription).toMatchObject({
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'KinesisStreamAsSource',
      DeliveryStreamARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/raw-from-kinesis',
    });
    expect(listed.DeliveryStreamNames).toEqual(['plain-direct-put', 'raw-from-kinesis']);
  });
});
