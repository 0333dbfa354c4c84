import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  isKinesisRecord,
  kinesisRecordSchema,
  splitKinesisEvent,
} from '../../../functions/adapters/kinesis/stream-event.js';
import { awsSample } from '../../fixtures/kinesis-events.js';

const sample = awsSample<KinesisStreamEvent>('powertools-python-kinesis-stream-event.json')
  .Records[0] as KinesisStreamRecord;

function withKinesis(fields: Record<string, unknown>): unknown {
  return { ...sample, kinesis: { ...sample.kinesis, ...fields } };
}

describe('isKinesisRecord', () => {
  it.each([
    ['the AWS sample record', sample],
    ['no eventID', { kinesis: sample.kinesis }],
    ['an undefined eventID', { ...sample, eventID: undefined }],
    ['a numeric eventID', { ...sample, eventID: 7 }],
    ['extra fields', { ...sample, extra: true, kinesis: { ...sample.kinesis, extra: [1] } }],
    ['no kinesis', { eventID: 'shardId-000000000006:1' }],
    ['kinesis as an array', { ...sample, kinesis: [sample.kinesis] }],
    ['kinesis null', { ...sample, kinesis: null }],
    ['a hexadecimal sequence number', withKinesis({ sequenceNumber: 'ff' })],
    ['an empty sequence number', withKinesis({ sequenceNumber: '' })],
    ['a sequence number with a newline', withKinesis({ sequenceNumber: '12\n' })],
    ['a numeric sequence number', withKinesis({ sequenceNumber: 12 })],
    ['no partition key', withKinesis({ partitionKey: undefined })],
    ['numeric data', withKinesis({ data: 1 })],
    ['an arrival time as a string', withKinesis({ approximateArrivalTimestamp: '1545084650.987' })],
    ['a NaN arrival time', withKinesis({ approximateArrivalTimestamp: Number.NaN })],
    ['an infinite arrival time', withKinesis({ approximateArrivalTimestamp: Number.POSITIVE_INFINITY })],
    ['an array', [sample]],
    ['a string', 'record'],
    ['null', null],
  ])('accepts and refuses like kinesisRecordSchema: %s', (_name, candidate) => {
    // Act
    const byHand = isKinesisRecord(candidate);
    const byZod = kinesisRecordSchema.safeParse(candidate);

    // Assess
    expect(byHand).toBe(byZod.success);
  });
});

describe('splitKinesisEvent', () => {
  it('keeps records as they came and dead-letters the others with the schema reason', () => {
    // Prepare
    const bad = withKinesis({ sequenceNumber: 'ff' });

    // Act
    const split = splitKinesisEvent({ Records: [sample, bad] }, 'taxi-rides');

    // Assess
    expect(split.records).toEqual([sample]);
    expect(split.records[0]).toBe(sample);
    expect(split.unusable).toHaveLength(1);
    expect(split.unusable[0]?.reason).toMatch(
      /^not-a-kinesis-record: Records\[1\] kinesis\.sequenceNumber: /,
    );
  });
});
