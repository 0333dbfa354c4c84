import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  type KafkaRecord,
  kafkaRecordOf,
  mskEvent,
  mskEventRecord,
  mskRecordBytes,
} from '../../../../local/runtime/event-source-mapping/msk-event.js';

// AWS's sample MSK event, as published (the Lambda Developer Guide's "Example event" of "Using
// Lambda with Amazon MSK"), copied from aws-powertools/powertools-lambda-typescript
// packages/parser/tests/events/kafka/base.json (commit bd6b24a, MIT-0).
const AWS_SAMPLE = `{
  "eventSource": "aws:kafka",
  "eventSourceArn": "arn:aws:kafka:us-east-1:0123456789019:cluster/SalesCluster/abcd1234-abcd-cafe-abab-9876543210ab-4",
  "bootstrapServers": "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092",
  "records": {
    "mytopic-0": [
      {
        "topic": "mytopic",
        "partition": 0,
        "offset": 15,
        "timestamp": 1545084650987,
        "timestampType": "CREATE_TIME",
        "key": "cmVjb3JkS2V5",
        "value": "eyJrZXkiOiJ2YWx1ZSJ9",
        "headers": [
          {
            "headerKey": [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101]
          }
        ]
      }
    ]
  }
}`;

const record = (overrides: Partial<KafkaRecord> = {}): KafkaRecord => ({
  topic: 'mytopic',
  partition: 0,
  offset: '15',
  timestamp: 1545084650987,
  key: Buffer.from('recordKey'),
  value: Buffer.from('{"key":"value"}'),
  headers: [['headerKey', Buffer.from('headerValue')]],
  ...overrides,
});

describe('mskEvent', () => {
  it("builds AWS's sample MSK event byte for byte (field names and order, base64, header bytes)", () => {
    // Prepare
    const sample = JSON.parse(AWS_SAMPLE);

    // Act
    const event = mskEvent([record()], {
      eventSourceArn: sample.eventSourceArn,
      bootstrapServers: sample.bootstrapServers,
    });

    // Assess: same JSON text, so same keys in the same order
    expect(JSON.stringify(event)).toBe(JSON.stringify(sample));
  });

  it('groups a batch by <topic>-<partition> in batch order and leaves out a null key or value', () => {
    // Act
    const event = mskEvent(
      [
        record({ partition: 2, offset: '7', key: null }),
        record({ partition: 0, offset: '3', value: null, headers: [] }),
        record({ partition: 2, offset: '8' }),
      ],
      { eventSourceArn: 'arn', bootstrapServers: '127.0.0.1:9092' },
    );

    // Assess
    expect(Object.keys(event.records)).toEqual(['mytopic-2', 'mytopic-0']);
    expect(event.records['mytopic-2']?.map((r) => r.offset)).toEqual([7, 8]);
    expect(event.records['mytopic-2']?.[0]).not.toHaveProperty('key');
    expect(event.records['mytopic-0']?.[0]).not.toHaveProperty('value');
    expect(event.records['mytopic-0']?.[0]?.headers).toEqual([]);
  });
});

describe('kafkaRecordOf', () => {
  it('keeps offset, timestamp, key and value, and one header entry per value in order', () => {
    // Prepare: kafkajs gathers a repeated header into an array and may hand strings
    const message = {
      offset: '42',
      timestamp: '1700000000123',
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      headers: { trace: [Buffer.from('a'), Buffer.from('b')], source: 'tributary', gone: undefined },
      attributes: 0,
    } satisfies KafkaMessage;

    // Act
    const r = kafkaRecordOf('t', 1, message);

    // Assess
    expect(r).toMatchObject({ topic: 't', partition: 1, offset: '42', timestamp: 1700000000123 });
    expect(mskEventRecord(r).headers).toEqual([
      { trace: [97] },
      { trace: [98] },
      { source: [...Buffer.from('tributary')] },
    ]);
    expect(kafkaRecordOf('t', 1, { ...message, key: null, value: null }).key).toBeNull();
  });
});

describe('mskRecordBytes', () => {
  it("is never below the record's size in the event JSON (comma included)", () => {
    // the worst case of header bytes: every byte written as "255,"
    const worst = record({ key: null, value: null, headers: [['h', Buffer.alloc(3000, 255)]] });
    expect(mskRecordBytes(worst)).toBeGreaterThanOrEqual(
      Buffer.byteLength(JSON.stringify(mskEventRecord(worst))) + 1,
    );
    const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.nat(1000),
        fc.bigInt({ min: 0n, max: 2n ** 52n }),
        fc.option(bytes),
        fc.option(bytes),
        fc.array(fc.tuple(fc.string({ maxLength: 20 }), bytes), { maxLength: 4 }),
        (topic, partition, offset, key, value, headers) => {
          const r = record({ topic, partition, offset: offset.toString(), key, value, headers });
          expect(mskRecordBytes(r)).toBeGreaterThanOrEqual(
            Buffer.byteLength(JSON.stringify(mskEventRecord(r))) + 1,
          );
        },
      ),
    );
  });
});
