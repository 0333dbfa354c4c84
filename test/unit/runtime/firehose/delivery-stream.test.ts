import { gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { type DeliveryStreamConfig, parseDeliveryStream } from '../../../../local/runtime/firehose/config.js';
import { DeliveryStream, MAX_ACTIVE_PARTITIONS } from '../../../../local/runtime/firehose/delivery-stream.js';
import { FirehoseConfigError } from '../../../../local/runtime/firehose/errors.js';
import type { ObjectSink } from '../../../../local/runtime/firehose/object-sink.js';
import { directPutProperties, rawProperties } from './fixtures/delivery-streams.js';

interface Written {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
}

function memorySink(): ObjectSink & { objects: Written[] } {
  const objects: Written[] = [];
  return {
    objects,
    async put(bucket, key, body) {
      objects.push({ bucket, key, body });
    },
  };
}

function envelope(ts: number, key = 'zone-1'): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, pipeline: 'taxi-rides', key, ts, event: { fare: 1 } }));
}

const ARRIVAL = Date.UTC(2026, 10, 23, 10, 0, 0);

/** A copy of `base` whose ExtendedS3DestinationConfiguration `change` edited. */
function withDestination(base: object, change: (destination: Record<string, unknown>) => void): unknown {
  const properties = structuredClone(base) as { ExtendedS3DestinationConfiguration: Record<string, unknown> };
  change(properties.ExtendedS3DestinationConfiguration);
  return properties;
}

/** rawProperties with its RecordDeAggregation processor given these parameters. */
function withDeAggregation(parameters: { ParameterName: string; ParameterValue: string }[]): unknown {
  const properties = structuredClone(rawProperties);
  properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0] = {
    Type: 'RecordDeAggregation',
    Parameters: parameters,
  };
  return properties;
}

describe('parseDeliveryStream', () => {
  it('reads every setting from the template properties', () => {
    // Act
    const config = parseDeliveryStream('RawDeliveryStream', rawProperties, 'tributary-raw');

    // Assess
    expect(config).toMatchObject({
      name: 'tributary-raw',
      source: { type: 'KinesisStreamAsSource', streamName: 'tributary-taxi-rides' },
      bucket: 'warehouse-bucket',
      bufferSizeBytes: 64 * 1024 * 1024,
      bufferIntervalMs: 60_000,
      compression: 'GZIP',
      fileExtension: '.gz',
      dynamicPartitioning: true,
      deaggregation: { type: 'JSON' },
      appendDelimiter: '\n',
    });
    expect(config.prefix.partitionKeys).toEqual(['pipeline', 'event_date', 'event_hour']);
  });

  it.each([
    ['a Lambda processor', { Type: 'Lambda', Parameters: [] }, /processor Lambda is not emulated/],
    [
      'a bad JQ query',
      {
        Type: 'MetadataExtraction',
        Parameters: [{ ParameterName: 'MetadataExtractionQuery', ParameterValue: '{a: .x + 1}' }],
      },
      /JQ query/,
    ],
  ])('refuses %s with a message naming it', (_, processor, message) => {
    const properties = structuredClone(rawProperties);
    properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors.push(processor as never);
    expect(() => parseDeliveryStream('Raw', properties)).toThrow(message);
  });
});

describe('parseDeliveryStream refusals (what Firehose refuses or the emulation would drop)', () => {
  it.each([
    [
      'an unknown CustomTimeZone, when the template is read rather than at the first write',
      withDestination(directPutProperties, (d) => {
        d.CustomTimeZone = 'Mars/Olympus_Mons';
      }),
      /CustomTimeZone must be an IANA time zone name \(given "Mars\/Olympus_Mons"\)/,
    ],
    [
      'zero buffering with dynamic partitioning (buffering.html)',
      withDestination(rawProperties, (d) => {
        d.BufferingHints = { IntervalInSeconds: 0, SizeInMBs: 64 };
      }),
      /IntervalInSeconds 0 \(zero buffering\) is not supported with dynamic partitioning/,
    ],
    [
      'SizeInMBs above 128',
      withDestination(rawProperties, (d) => {
        d.BufferingHints = { IntervalInSeconds: 60, SizeInMBs: 256 };
      }),
      /SizeInMBs must be 1-128 \(given 256\)/,
    ],
    [
      'IntervalInSeconds above 900',
      withDestination(rawProperties, (d) => {
        d.BufferingHints = { IntervalInSeconds: 3600, SizeInMBs: 64 };
      }),
      /IntervalInSeconds must be 0-900 \(given 3600\)/,
    ],
    [
      'only one of the BufferingHints',
      withDestination(rawProperties, (d) => {
        d.BufferingHints = { SizeInMBs: 64 };
      }),
      /BufferingHints needs both SizeInMBs and IntervalInSeconds, or neither/,
    ],
    [
      'S3BackupMode Enabled (a second copy of every source record, not emulated)',
      withDestination(rawProperties, (d) => {
        d.S3BackupMode = 'Enabled';
        d.S3BackupConfiguration = { BucketARN: 'arn:aws:s3:::backup-bucket', Prefix: 'source/' };
      }),
      /S3BackupMode Enabled is not emulated/,
    ],
    [
      'RecordDeAggregation DELIMITED without a Delimiter (nothing would be split)',
      withDeAggregation([{ ParameterName: 'SubRecordType', ParameterValue: 'DELIMITED' }]),
      /SubRecordType DELIMITED needs a Delimiter/,
    ],
    [
      'dynamic partitioning with no partitioning key (dynamic-partitioning.html)',
      withDestination(rawProperties, (d) => {
        d.Prefix = 'raw/';
        d.ProcessingConfiguration = { Enabled: true, Processors: [] };
      }),
      /DynamicPartitioningConfiguration is enabled but Prefix uses no !\{partitionKeyFromQuery:…\} key/,
    ],
  ])('refuses %s', (_, properties, message) => {
    // Act + Assess
    expect(() => parseDeliveryStream('Raw', properties)).toThrow(FirehoseConfigError);
    expect(() => parseDeliveryStream('Raw', properties)).toThrow(message);
  });

  it('accepts zero buffering without dynamic partitioning', () => {
    // Prepare
    const properties = withDestination(directPutProperties, (d) => {
      d.BufferingHints = { IntervalInSeconds: 0, SizeInMBs: 1 };
    });

    // Act
    const config = parseDeliveryStream('Plain', properties);

    // Assess
    expect(config).toMatchObject({ bufferIntervalMs: 0, bufferSizeBytes: 1024 * 1024 });
  });
});

describe('DeliveryStream', () => {
  it('partitions by the JQ keys, gzips newline-delimited records and names objects like Firehose', async () => {
    // Prepare
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Raw', rawProperties, 'raw'), sink, {
      now: () => ARRIVAL,
    });
    const day1 = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
    const day2 = Date.UTC(2026, 10, 23, 0, 0, 0);

    // Act
    stream.put(envelope(day1, 'a'), ARRIVAL);
    stream.put(envelope(day2, 'b'), ARRIVAL);
    stream.put(envelope(day1, 'c'), ARRIVAL);
    await stream.flush();

    // Assess
    const keys = sink.objects.map((o) => o.key).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(
      /^raw\/pipeline=taxi-rides\/event_date=2026-11-22\/event_hour=23\/raw-1-2026-11-23-10-00-00-[0-9a-f-]{36}\.gz$/,
    );
    expect(keys[1]).toMatch(/^raw\/pipeline=taxi-rides\/event_date=2026-11-23\/event_hour=00\//);
    const first = sink.objects.find((o) => o.key === keys[0]);
    const lines = gunzipSync(first?.body ?? Buffer.alloc(0)).toString('utf8');
    expect(lines.split('\n').map((l) => (l === '' ? '' : JSON.parse(l).key))).toEqual(['a', 'c', '']);
    expect(stream.counters).toMatchObject({
      recordsIn: 3,
      recordsDelivered: 3,
      objectsWritten: 2,
      errorRecords: 0,
    });
  });

  it('de-aggregates concatenated JSON objects into separate records', async () => {
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Raw', rawProperties), sink, {
      now: () => ARRIVAL,
    });
    stream.put(Buffer.concat([envelope(ARRIVAL, 'x'), envelope(ARRIVAL, 'y')]), ARRIVAL);
    await stream.flush();
    const text = gunzipSync(sink.objects[0]?.body ?? Buffer.alloc(0)).toString('utf8');
    expect(text.trim().split('\n')).toHaveLength(2);
  });

  it('sends records whose keys cannot be extracted to the error prefix in Firehose error format', async () => {
    // Prepare
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Raw', rawProperties), sink, {
      now: () => ARRIVAL,
    });
    const notJson = Buffer.from('not json at all');
    const noTs = Buffer.from(JSON.stringify({ pipeline: 'taxi-rides', ts: 'yesterday' }));

    // Act
    stream.put(notJson, ARRIVAL);
    stream.put(noTs, ARRIVAL);
    await stream.flush();

    // Assess
    expect(sink.objects).toHaveLength(1);
    const object = sink.objects[0];
    expect(object?.key).toMatch(
      /^errors\/raw\/processing-failed\/2026\/11\/23\/Raw-1-2026-11-23-10-00-00-.*\.gz$/,
    );
    const lines = gunzipSync(object?.body ?? Buffer.alloc(0))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      attemptsMade: 1,
      arrivalTimestamp: ARRIVAL,
      errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
      errorMessage: 'Non JSON record provided',
      attemptEndingTimestamp: ARRIVAL,
      rawData: notJson.toString('base64'),
    });
    expect(lines[1]).toMatchObject({
      errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
      errorMessage: 'string ("yesterday") and number (1000) cannot be divided',
      rawData: noTs.toString('base64'),
    });
    expect(stream.counters).toMatchObject({ errorRecords: 2, errorObjects: 1, objectsWritten: 0 });
  });

  it('writes a buffer when SizeInMBs is reached, keeping objects within it', async () => {
    // Prepare: 1 MiB hint, records of 100 KiB
    const sink = memorySink();
    const config: DeliveryStreamConfig = parseDeliveryStream('Plain', directPutProperties);
    const stream = new DeliveryStream(config, sink, { now: () => ARRIVAL });
    const record = Buffer.alloc(100 * 1024, 'x');

    // Act: 25 records = 2.44 MiB
    for (let i = 0; i < 25; i++) stream.put(record, ARRIVAL);
    await stream.tick();
    const beforeFlush = sink.objects.length;
    await stream.flush();

    // Assess
    expect(beforeFlush).toBe(2);
    expect(sink.objects.map((o) => o.body.length).sort((a, b) => b - a)).toEqual([
      10 * 102_400,
      10 * 102_400,
      5 * 102_400,
    ]);
    expect(sink.objects[0]?.key).toMatch(
      /^plain\/dt=2026-11-23\/h=10\/plain-direct-put-1-2026-11-23-10-00-00-[0-9a-f-]{36}$/,
    );
  });

  it('writes a buffer once IntervalInSeconds has passed since its first record', async () => {
    // Prepare
    let now = ARRIVAL;
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Plain', directPutProperties), sink, {
      now: () => now,
    });
    stream.put(Buffer.from('a'));

    // Act + Assess
    now += 999;
    await stream.tick();
    expect(sink.objects).toHaveLength(0);
    now += 1;
    await stream.tick();
    expect(sink.objects).toHaveLength(1);
    expect(sink.objects[0]?.body.toString()).toBe('a');
  });

  it('calls onDelivered only after every part of a record is in S3', async () => {
    // Prepare: the record's two events go to two partitions (two days); the first object written
    // is held back until the other one is in
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let puts = 0;
    const sink: ObjectSink = {
      async put() {
        puts++;
        if (puts === 1) await held;
      },
    };
    const stream = new DeliveryStream(parseDeliveryStream('Raw', rawProperties), sink, {
      now: () => ARRIVAL,
    });
    let delivered = 0;
    stream.put(
      Buffer.concat([envelope(ARRIVAL, 'x'), envelope(ARRIVAL - 86_400_000, 'y')]),
      ARRIVAL,
      () => delivered++,
    );

    // Act
    const flushed = stream.flush();
    await vi.waitFor(() => expect(puts).toBe(2));
    await new Promise((resolve) => setImmediate(resolve));
    const whileOnePartIsOut = delivered;
    release();
    await flushed;

    // Assess
    expect(whileOnePartIsOut).toBe(0);
    expect(delivered).toBe(1);
  });

  it('retries a failing S3 write and rejects flush() when retries run out', async () => {
    let calls = 0;
    const failing: ObjectSink = {
      async put() {
        calls++;
        throw new Error('S3 down');
      },
    };
    const stream = new DeliveryStream(parseDeliveryStream('Plain', directPutProperties), failing, {
      retryForMs: 250,
    });
    stream.put(Buffer.from('a'));
    await expect(stream.flush()).rejects.toThrow(/could not write s3:\/\/warehouse-bucket\/plain\//);
    expect(calls).toBeGreaterThan(1);
    expect(stream.counters.deliveryFailures).toBe(calls);
  });
  it('sends records that would open more than 500 active partitions to the error output', async () => {
    // Prepare: one partition per event hour; 501 distinct hours
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Raw', rawProperties), sink, {
      now: () => ARRIVAL,
    });

    // Act
    for (let h = 0; h <= MAX_ACTIVE_PARTITIONS; h++) stream.put(envelope(ARRIVAL - h * 3_600_000), ARRIVAL);
    await stream.flush();

    // Assess
    const errors = sink.objects.filter((o) => o.key.startsWith('errors/'));
    expect(sink.objects).toHaveLength(MAX_ACTIVE_PARTITIONS + 1);
    expect(errors).toHaveLength(1);
    expect(JSON.parse(gunzipSync(errors[0]?.body ?? Buffer.alloc(0)).toString())).toMatchObject({
      errorCode: 'DynamicPartitioning.ActivePartitionsLimitExceeded',
    });
  });

  it('fails at once, naming the bucket, when the bucket is gone (LocalStack restarted)', async () => {
    const gone: ObjectSink = {
      async put() {
        throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
      },
    };
    const stream = new DeliveryStream(parseDeliveryStream('Plain', directPutProperties), gone, {
      retryForMs: 60_000,
    });
    stream.put(Buffer.from('a'));
    await expect(stream.flush()).rejects.toThrow(
      /bucket warehouse-bucket does not exist \(was LocalStack restarted\?\)/,
    );
    expect(stream.counters.deliveryFailures).toBe(1);
  });
  it('names an object and evaluates its prefix by its oldest record, not by the first appended', async () => {
    // Prepare: s3-prefixes.html: "the approximate arrival timestamp of the oldest record that's
    // contained in the Amazon S3 object"; records reach a buffer out of arrival order (shards,
    // Kafka partitions, a replayed spool)
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Plain', directPutProperties), sink, {
      now: () => Date.UTC(2026, 10, 23, 11, 0, 10),
    });

    // Act
    stream.put(Buffer.from('newer'), Date.UTC(2026, 10, 23, 11, 0, 5));
    stream.put(Buffer.from('older'), Date.UTC(2026, 10, 23, 10, 59, 58));
    await stream.flush();

    // Assess
    expect(sink.objects.map((o) => o.key)).toEqual([
      expect.stringMatching(/^plain\/dt=2026-11-23\/h=10\/plain-direct-put-1-2026-11-23-10-59-58-/),
    ]);
  });

  it('reads an empty CustomTimeZone as UTC', async () => {
    // Prepare: the API allows "" (pattern ^$|[a-zA-Z/_]+) and UTC is the default
    const properties = withDestination(directPutProperties, (d) => {
      d.CustomTimeZone = '';
    });
    const sink = memorySink();
    const stream = new DeliveryStream(parseDeliveryStream('Plain', properties), sink, {
      now: () => ARRIVAL,
      retryForMs: 100,
    });

    // Act
    stream.put(Buffer.from('a'), Date.UTC(2026, 10, 23, 7, 8, 9));
    await stream.flush();

    // Assess
    expect(stream.config.timeZone).toBe('UTC');
    expect(sink.objects[0]?.key).toMatch(/^plain\/dt=2026-11-23\/h=07\//);
  });

  it.each([
    ['an empty record, JSON', rawProperties, ''],
    ['a blank record, JSON', rawProperties, ' \n'],
    [
      'a record of delimiters only, DELIMITED',
      withDeAggregation([
        { ParameterName: 'SubRecordType', ParameterValue: 'DELIMITED' },
        { ParameterName: 'Delimiter', ParameterValue: Buffer.from('\n').toString('base64') },
      ]),
      '\n\n',
    ],
  ])(
    'sends %s in which RecordDeAggregation finds no sub-record to the error output',
    async (_, properties, text) => {
      // Prepare
      const sink = memorySink();
      const stream = new DeliveryStream(parseDeliveryStream('Raw', properties), sink, { now: () => ARRIVAL });
      let delivered = 0;

      // Act
      stream.put(Buffer.from(text), ARRIVAL, () => delivered++);
      await stream.flush();

      // Assess
      expect(delivered).toBe(1);
      expect(sink.objects.map((o) => o.key)).toEqual([
        expect.stringMatching(/^errors\/raw\/processing-failed\//),
      ]);
      expect(JSON.parse(gunzipSync(sink.objects[0]?.body ?? Buffer.alloc(0)).toString())).toMatchObject({
        errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
        errorMessage: 'RecordDeAggregation found no sub-record',
        rawData: Buffer.from(text).toString('base64'),
      });
      expect(stream.counters).toMatchObject({ errorRecords: 1, errorObjects: 1 });
    },
  );
});
