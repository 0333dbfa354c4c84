import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseDeliveryStream } from '../../../../local/runtime/firehose/config.js';
import { DeliveryStream } from '../../../../local/runtime/firehose/delivery-stream.js';
import { FirehoseConfigError } from '../../../../local/runtime/firehose/errors.js';
import { createSources } from '../../../../local/runtime/firehose/sources.js';
import { rawProperties } from './fixtures/delivery-streams.js';
import synthesized from './fixtures/synthesized-msk-raw-stream.json' with { type: 'json' };

// The raw stream of the MSK transport (msk-contract.md, item 5): the Kinesis raw stream's destination,
// with the topic as its source. The cluster `Ref` is shown resolved to an ARN.
function mskProperties(source: Record<string, unknown> = {}): Record<string, unknown> {
  const { KinesisStreamSourceConfiguration: _, ...rest } = structuredClone(rawProperties);
  return {
    ...rest,
    DeliveryStreamType: 'MSKAsSource',
    MSKSourceConfiguration: {
      MSKClusterARN:
        'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-dev/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-s1',
      TopicName: 'tributary-dev-taxi-rides',
      AuthenticationConfiguration: {
        Connectivity: 'PRIVATE',
        RoleARN: 'arn:aws:iam::000000000000:role/raw-role',
      },
      ...source,
    },
  };
}

describe('parseDeliveryStream with an MSK source', () => {
  it('reads the topic and keeps the destination settings of the Kinesis raw stream', () => {
    // Act
    const config = parseDeliveryStream('RawMsk', mskProperties(), 'tributary-dev-raw');

    // Assess
    expect(config.source).toEqual({
      type: 'MSKAsSource',
      clusterArn:
        'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-dev/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-s1',
      topic: 'tributary-dev-taxi-rides',
      readFromTimestampMs: undefined,
    });
    expect(config).toMatchObject({
      name: 'tributary-dev-raw',
      compression: 'GZIP',
      dynamicPartitioning: true,
      deaggregation: { type: 'JSON' },
      appendDelimiter: '\n',
    });
  });

  it('parses the raw stream of `cdk synth -c transport=msk` and writes a Kafka value by event time', async () => {
    // Prepare: the fixture is this project's infra synthesized with aws-cdk-lib 2.276.0, intrinsics
    // resolved by local/runtime/template (the cluster Ref resolves to a name locally), captured 2026-11-24
    const [logicalId, { physicalName, properties }] = Object.entries(synthesized)[0] ?? ['', {} as never];
    const objects: { key: string; body: Buffer }[] = [];
    const arrival = Date.UTC(2026, 10, 24, 9, 0);
    const value = JSON.stringify({
      v: 1,
      pipeline: 'taxi-rides',
      key: 'k',
      ts: Date.UTC(2026, 10, 21, 5, 4),
      event: {},
    });

    // Act
    const config = parseDeliveryStream(logicalId, properties, physicalName);
    const stream = new DeliveryStream(config, {
      put: async (_, key, body) => void objects.push({ key, body }),
    });
    stream.put(Buffer.from(value), arrival);
    await stream.flush();

    // Assess
    expect(config.source).toMatchObject({
      type: 'MSKAsSource',
      topic: 'tributary-dev-taxi-rides',
      readFromTimestampMs: 0,
    });
    expect(objects.map((o) => o.key)).toEqual([
      expect.stringMatching(
        /^raw\/pipeline=taxi-rides\/event_date=2026-11-21\/event_hour=05\/Tributary-dev-RawtaxiridesStream[\w-]+-1-2026-11-24-09-00-00-[0-9a-f-]{36}\.gz$/,
      ),
    ]);
    expect(gunzipSync(objects[0]?.body ?? Buffer.alloc(0)).toString()).toBe(`${value}\n`);
  });

  it.each([
    ['1970-01-01T00:00:00Z', 0],
    ['2026-11-24T10:30:00Z', Date.UTC(2026, 10, 24, 10, 30)],
    ['2026-11-24T10:30:00', Date.UTC(2026, 10, 24, 10, 30)], // UTC, as Firehose reads it
    ['2026-11-24T10:30:00.250+01:00', Date.UTC(2026, 10, 24, 9, 30, 0, 250)],
    ['2026-11-24', Date.UTC(2026, 10, 24)],
  ])('reads ReadFromTimestamp %s as UTC epoch milliseconds', (text, expected) => {
    const config = parseDeliveryStream('RawMsk', mskProperties({ ReadFromTimestamp: text }));
    expect(config.source).toMatchObject({ readFromTimestampMs: expected });
  });

  it('reads a date-time without a zone as UTC, whatever the zone of the machine', () => {
    // Prepare
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      // Act
      const config = parseDeliveryStream(
        'RawMsk',
        mskProperties({ ReadFromTimestamp: '2026-11-24T10:30:00' }),
      );

      // Assess
      expect(config.source).toMatchObject({ readFromTimestampMs: Date.UTC(2026, 10, 24, 10, 30) });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it.each([
    [
      'no MSKSourceConfiguration',
      { MSKSourceConfiguration: undefined },
      /MSKAsSource needs MSKSourceConfiguration/,
    ],
    ['an unresolved topic', { TopicName: { 'Fn::GetAtt': ['Topic', 'Name'] } }, /TopicName/],
    ['a topic Kafka would refuse', { TopicName: 'raw events!' }, /literal topic name[\s\S]*TopicName/],
    [
      'no AuthenticationConfiguration',
      { AuthenticationConfiguration: undefined },
      /AuthenticationConfiguration/,
    ],
    [
      'an unknown Connectivity',
      { AuthenticationConfiguration: { Connectivity: 'VPC', RoleARN: 'r' } },
      /Connectivity/,
    ],
    [
      'a ReadFromTimestamp that is no ISO time',
      { ReadFromTimestamp: 'yesterday' },
      /ReadFromTimestamp must be an ISO 8601 time/,
    ],
    [
      'a ReadFromTimestamp in a local format',
      { ReadFromTimestamp: 'Nov 24 2026 10:30' },
      /ReadFromTimestamp must be an ISO 8601 time/,
    ],
    ['an impossible ReadFromTimestamp', { ReadFromTimestamp: '2026-13-45T00:00:00Z' }, /ReadFromTimestamp/],
  ])('refuses %s with a message naming it', (_, change, message) => {
    const properties =
      'MSKSourceConfiguration' in change ? { ...mskProperties(), ...change } : mskProperties(change);
    expect(() => parseDeliveryStream('RawMsk', properties)).toThrow(FirehoseConfigError);
    expect(() => parseDeliveryStream('RawMsk', properties)).toThrow(message);
  });

  it('still refuses a database source', () => {
    const properties = { ...mskProperties(), DeliveryStreamType: 'DatabaseAsSource' };
    expect(() => parseDeliveryStream('Db', properties)).toThrow(/DatabaseAsSource is not emulated/);
  });
});

describe('createSources', () => {
  it('asks for a Kafka client when a stream reads a topic, before anything connects', () => {
    // Prepare
    const config = parseDeliveryStream('RawMsk', mskProperties(), 'tributary-dev-raw');
    const stream = new DeliveryStream(config, { put: async () => undefined });

    // Act
    const create = () =>
      createSources([stream], {
        runDir: '/nonexistent',
        kinesis: {} as never,
        kafka: undefined,
        pollIntervalMs: 1000,
        shardSource: undefined,
        onError: undefined,
      });

    // Assess
    expect(create).toThrow(/tributary-dev-raw reads Kafka topic tributary-dev-taxi-rides.*option kafka/);
  });
});
