import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eventRecordBytes,
  kinesisEvent,
  kinesisEventRecord,
} from '../../../../local/runtime/event-source-mapping/kinesis-event.js';
import type { StreamRecord } from '../../../../local/runtime/kinesis/shard-source.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';

// AWS's published samples (sources in test/fixtures/aws/README.md).
const awsSample = (file: string): string =>
  readFileSync(join(projectRoot, 'test', 'fixtures', 'aws', file), 'utf8');

/** The records of a sample event, as GetRecords would have returned them. */
function recordsOf(sample: {
  Records: {
    kinesis: {
      partitionKey: string;
      sequenceNumber: string;
      data: string;
      approximateArrivalTimestamp: number;
    };
  }[];
}): StreamRecord[] {
  return sample.Records.map(({ kinesis }) => ({
    partitionKey: kinesis.partitionKey,
    sequenceNumber: kinesis.sequenceNumber,
    data: Buffer.from(kinesis.data, 'base64'),
    approximateArrivalTimestamp: Math.round(kinesis.approximateArrivalTimestamp * 1000),
  }));
}

describe('kinesisEvent', () => {
  it("builds AWS's sample Kinesis event byte for byte (field names, order, base64 data, fractional seconds)", () => {
    // Prepare
    const text = awsSample('powertools-python-kinesis-stream-event.json');
    const sample = JSON.parse(text);
    const records = recordsOf(sample);

    // Act
    const event = kinesisEvent(records, {
      shardId: 'shardId-000000000006',
      streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
      region: 'us-east-2',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
    });

    // Assess
    // (this sample also carries tumbling window fields; the records are the documented ones)
    expect(JSON.stringify(event.Records)).toBe(JSON.stringify(sample.Records));
    expect(Object.keys(event)).toEqual(['Records']);
    expect(Buffer.from(event.Records[0]?.kinesis.data ?? '', 'base64').toString()).toBe(
      'Hello, this is a test.',
    );
  });

  it("adds the tumbling window fields in the shape of AWS's KinesisTimeWindowEvent sample", () => {
    // Prepare
    const sample = JSON.parse(awsSample('powertools-ts-kinesis-stream-tumbling-window.json'));

    // Act
    const event = kinesisEvent(
      recordsOf(sample),
      {
        shardId: 'shardId-000000000006',
        streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/lambda-stream',
        region: 'us-east-1',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-kinesis-role',
      },
      {
        window: { start: '2020-12-09T07:04:00Z', end: '2020-12-09T07:06:00Z' },
        state: { '1': 282, '2': 715 },
        isFinalInvokeForWindow: false,
        isWindowTerminatedEarly: false,
      },
    );

    // Assess
    expect(event).toEqual(sample);
    expect(Object.keys(event)).toEqual(Object.keys(sample));
  });
});

describe('eventRecordBytes', () => {
  it('is never below the bytes a record takes in the event, whatever its partition key (UTF-8, escapes)', () => {
    const source = {
      shardId: 'shardId-000000000006',
      streamArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
      region: 'us-east-2',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
    };
    fc.assert(
      fc.property(
        fc.string({
          minLength: 1,
          maxLength: 256,
          unit: fc.oneof(
            fc.constantFrom('"', '\\', '\n', '\u0001'),
            fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
          ),
        }),
        fc.uint8Array({ maxLength: 64 }),
        fc.bigInt({ min: 0n, max: 10n ** 56n }),
        (partitionKey, data, sequence) => {
          // Prepare
          const record = {
            partitionKey,
            sequenceNumber: String(sequence),
            data: Buffer.from(data),
            approximateArrivalTimestamp: 1_700_000_000_123,
          };

          // Act
          const estimate = eventRecordBytes(record, source);

          // Assess: the record's JSON plus the comma between records.
          expect(estimate).toBeGreaterThanOrEqual(
            Buffer.byteLength(JSON.stringify(kinesisEventRecord(record, source))) + 1,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
