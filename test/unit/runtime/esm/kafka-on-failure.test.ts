import { describe, expect, it } from 'vitest';
import { kafkaOnFailureRecord } from '../../../../local/runtime/event-source-mapping/kafka-on-failure.js';
import { type KafkaRecord, mskEvent } from '../../../../local/runtime/event-source-mapping/msk-event.js';

const where = {
  functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:aggregator',
  eventSourceArn:
    'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-dev/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  bootstrapServers: '127.0.0.1:9092',
};

const rec = (partition: number, offset: number, timestamp: number): KafkaRecord => ({
  topic: 'Topic',
  partition,
  offset: String(offset),
  timestamp,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers: [],
});

describe('kafkaOnFailureRecord', () => {
  it("has the shape of AWS's SQS/SNS invocation record for Kafka: first and last offset and time per partition", () => {
    // Prepare
    const records = [
      rec(0, 5, 1_573_691_884_835),
      rec(1, 9, 1_573_691_884_900),
      rec(0, 6, 1_573_691_885_580),
    ];
    const now = Date.parse('2019-11-14T00:38:06.021Z');

    // Act
    const body = kafkaOnFailureRecord(
      {
        records,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
        lastOutcome: {
          kind: 'failure',
          reason: 'Error: x',
          functionError: { errorType: 'Error', errorMessage: 'x' },
        },
      },
      where,
      now,
    );

    // Assess: the fields and their order of the example in Lambda's "Capturing discarded batches
    // for Amazon MSK and self-managed Apache Kafka event sources"
    expect(JSON.stringify(body)).toBe(
      JSON.stringify({
        requestContext: {
          requestId: body.requestContext.requestId,
          functionArn: where.functionArn,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: '2019-11-14T00:38:06.021Z',
        KafkaBatchInfo: {
          batchSize: 3,
          eventSourceArn: where.eventSourceArn,
          bootstrapServers: '127.0.0.1:9092',
          payloadSize: Buffer.byteLength(JSON.stringify(mskEvent(records, where))),
          recordsInfo: {
            'Topic-0': {
              firstRecordOffset: '5',
              lastRecordOffset: '6',
              firstRecordTimestamp: '2019-11-14T00:38:04.835Z',
              lastRecordTimestamp: '2019-11-14T00:38:05.580Z',
            },
            'Topic-1': {
              firstRecordOffset: '9',
              lastRecordOffset: '9',
              firstRecordTimestamp: '2019-11-14T00:38:04.900Z',
              lastRecordTimestamp: '2019-11-14T00:38:04.900Z',
            },
          },
        },
      }),
    );
    expect(body.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('has a null responseContext for MaximumPayloadSizeExceeded and no functionError for expired records', () => {
    const batch = { records: [rec(0, 1, 0)], approximateInvokeCount: 0, lastOutcome: undefined };
    expect(
      kafkaOnFailureRecord({ ...batch, condition: 'MaximumPayloadSizeExceeded' }, where).responseContext,
    ).toBe(null);
    expect(kafkaOnFailureRecord({ ...batch, condition: 'RecordAgeExceeded' }, where).responseContext).toEqual(
      {
        statusCode: 200,
        executedVersion: '$LATEST',
      },
    );
  });
});
