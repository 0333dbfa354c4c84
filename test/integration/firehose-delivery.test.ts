import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { DeleteStreamCommand, type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { aggregate } from 'aws-kinesis-agg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FirehoseDelivery, startFirehoseDelivery } from '../../local/runtime/firehose/index.js';
import { kinesisClient, LOCAL_REGION, s3Client } from '../../local/services/clients.js';
import { projectRoot } from '../../local/tools/state-dir.js';
import { runUntilReadyThenKill } from './helpers/killed-child.js';
import { createActiveStream } from './helpers/kinesis.js';
import { pollUntil } from './helpers/poll.js';
import { deleteBucket, readObjectLines } from './helpers/s3-objects.js';
import { uniqueName } from './helpers/unique.js';

const bucket = uniqueName('fh-warehouse');
const streamName = uniqueName('fh-taxi');
const runDir = mkdtempSync(join(tmpdir(), 'tributary-firehose-'));
let kinesis: KinesisClient;
let s3: S3Client;

const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 10, 22, 22, 30); // events spread over 22:30 .. 01:30 => three event hours, two dates

// As the infra stacks render them (contracts.md): raw from Kinesis by event time, aggregates by direct put.
function resources(rawIntervalSeconds = 1) {
  const partitionQuery = {
    Type: 'MetadataExtraction',
    Parameters: [
      {
        ParameterName: 'MetadataExtractionQuery',
        ParameterValue:
          '{"pipeline":.pipeline,"event_date":(.ts/1000|strftime("%Y-%m-%d")),"event_hour":(.ts/1000|strftime("%H"))}',
      },
      { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
    ],
  };
  return [
    {
      logicalId: 'RawDeliveryStream',
      physicalName: `${streamName}-raw`,
      properties: {
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: {
          KinesisStreamARN: `arn:aws:kinesis:${LOCAL_REGION}:000000000000:stream/${streamName}`,
        },
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${bucket}`,
          BufferingHints: { IntervalInSeconds: rawIntervalSeconds, SizeInMBs: 64 },
          CompressionFormat: 'GZIP',
          DynamicPartitioningConfiguration: { Enabled: true },
          Prefix:
            'raw/pipeline=!{partitionKeyFromQuery:pipeline}/event_date=!{partitionKeyFromQuery:event_date}/event_hour=!{partitionKeyFromQuery:event_hour}/',
          ErrorOutputPrefix: 'errors/raw/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'RecordDeAggregation',
                Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
              },
              partitionQuery,
              { Type: 'AppendDelimiterToRecord', Parameters: [] },
            ],
          },
        },
      },
    },
    {
      logicalId: 'AggregatesDeliveryStream',
      physicalName: `${streamName}-aggregates`,
      properties: {
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${bucket}`,
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
          CompressionFormat: 'GZIP',
          DynamicPartitioningConfiguration: { Enabled: true },
          Prefix:
            'aggregates/pipeline=!{partitionKeyFromQuery:pipeline}/window_date=!{partitionKeyFromQuery:window_date}/',
          ErrorOutputPrefix: 'errors/aggregates/!{firehose:error-output-type}/',
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              {
                Type: 'MetadataExtraction',
                Parameters: [
                  {
                    ParameterName: 'MetadataExtractionQuery',
                    ParameterValue:
                      '{"pipeline":.pipeline,"window_date":(.window_start/1000|strftime("%Y-%m-%d"))}',
                  },
                  { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
                ],
              },
              { Type: 'AppendDelimiterToRecord', Parameters: [] },
            ],
          },
        },
      },
    },
  ];
}

function envelopes(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return JSON.stringify({
      v: 1,
      pipeline: 'taxi-rides',
      key: `zone-${n % 7}`,
      ts: BASE + ((n * 97) % 3) * HOUR,
      event: { n },
    });
  });
}

async function produce(lines: readonly string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 250) {
    const chunk = lines.slice(i, i + 250);
    const response = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: chunk.map((line, j) => ({ Data: Buffer.from(line), PartitionKey: `zone-${(i + j) % 7}` })),
      }),
    );
    expect(response.FailedRecordCount ?? 0).toBe(0);
  }
}

/** One KPL-aggregated Kinesis record holding `lines` (the format the KPL and aws-kinesis-agg write). */
async function produceAggregated(lines: readonly string[]): Promise<void> {
  const encoded = await new Promise<Buffer[]>((resolve, reject) => {
    const out: Buffer[] = [];
    aggregate(
      lines.map((line) => ({ partitionKey: 'kpl', data: Buffer.from(line) })),
      (record, done) => {
        out.push(record.data);
        done();
      },
      () => resolve(out),
      (error) => reject(error),
    );
  });
  expect(encoded).toHaveLength(1);
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: encoded.map((data) => ({ Data: data, PartitionKey: 'kpl' })),
    }),
  );
}

const readWarehouse = (prefix: string) => readObjectLines(s3, bucket, prefix);

async function start(): Promise<FirehoseDelivery> {
  return startFirehoseDelivery({ resources: resources(), s3, kinesis, runDir, pollIntervalMs: 100 });
}

// A runtime process to kill: starts the delivery on the shared run folder, direct-puts `DIRECT` records,
// waits until it has read `KINESIS` records from the stream, says so, and waits to be killed.
const CHILD = `
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startFirehoseDelivery } from '${resolve(projectRoot, 'local/runtime/firehose/index.ts')}';
import { kinesisClient, s3Client } from '${resolve(projectRoot, 'local/services/clients.ts')}';
const { resources, runDir, stream, direct, kinesisCount } = JSON.parse(process.env.CHILD_INPUT);
const delivery = await startFirehoseDelivery({ resources, s3: s3Client(), kinesis: kinesisClient(), runDir, pollIntervalMs: 100 });
const firehose = new FirehoseClient({ endpoint: delivery.endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } });
await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: direct.map((d) => ({ Data: Buffer.from(d) })) }));
while (delivery.totals().recordsIn < direct.length + kinesisCount) await new Promise((r) => setTimeout(r, 50));
process.stdout.write(JSON.stringify(delivery.totals()) + '\\n');
setInterval(() => {}, 1000);
`;

beforeAll(async () => {
  kinesis = kinesisClient();
  s3 = s3Client();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createActiveStream(kinesis, streamName, 2);
});

afterAll(async () => {
  await kinesis
    ?.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }))
    .catch(() => undefined);
  await deleteBucket(s3, bucket);
  kinesis?.destroy();
  s3?.destroy();
  rmSync(runDir, { recursive: true, force: true });
});

describe('Firehose delivery against LocalStack', () => {
  const batchA = envelopes(0, 300);
  const batchB = envelopes(300, 200);
  const batchC = envelopes(1000, 50);
  const kplBatch = envelopes(2000, 5);
  const poison = 'this is not json';

  it('delivers the Kinesis stream into event-time partitions, nothing lost or doubled across a flush', async () => {
    // Prepare
    const delivery = await start();
    try {
      // Act: batch A, flush mid-run, then batch B and a poison record, then stop
      await produce(batchA);
      await pollUntil(
        async () => delivery.totals().recordsIn,
        (n) => n >= batchA.length,
        { timeoutMs: 30_000 },
      );
      await delivery.flush();
      await produce([...batchB, poison]);
      await pollUntil(
        async () => delivery.totals().recordsIn,
        (n) => n >= batchA.length + batchB.length + 1,
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      await delivery.stop();
    }

    // Assess
    const raw = await readWarehouse('raw/');
    const keyPattern =
      /^raw\/pipeline=taxi-rides\/event_date=(\d{4}-\d{2}-\d{2})\/event_hour=(\d{2})\/[\w-]+-raw-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/;
    for (const object of raw) {
      const [, date, hour] = keyPattern.exec(object.key) ?? [];
      expect(object.key).toMatch(keyPattern);
      for (const line of object.lines) {
        const iso = new Date(JSON.parse(line).ts).toISOString();
        expect(`${iso.slice(0, 10)}/${iso.slice(11, 13)}`).toBe(`${date}/${hour}`);
      }
    }
    const delivered = raw.flatMap((o) => o.lines).sort();
    expect(delivered).toEqual([...batchA, ...batchB].sort());
    expect(new Set(raw.map((o) => o.key.split('/').slice(0, 4).join('/'))).size).toBe(3);

    const errors = await readWarehouse('errors/raw/processing-failed/');
    const errorRecords = errors.flatMap((o) => o.lines).map((l) => JSON.parse(l));
    expect(errorRecords).toHaveLength(1);
    expect(errorRecords[0]).toMatchObject({
      errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
      rawData: Buffer.from(poison).toString('base64'),
    });
  });

  it('resumes from the stored positions after a restart; de-aggregates KPL records', async () => {
    // Prepare
    const before = (await readWarehouse('raw/')).flatMap((o) => o.lines).length;
    const delivery = await start();
    try {
      // Act
      await produce(batchC);
      await produceAggregated(kplBatch);
      const expected = batchC.length + kplBatch.length;
      await pollUntil(
        async () => delivery.totals().recordsIn,
        (n) => n >= expected,
        { timeoutMs: 30_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // room for a wrongly re-read record to show up
    } finally {
      await delivery.stop();
    }

    // Assess
    expect(delivery.totals().recordsIn).toBe(batchC.length + kplBatch.length);
    const after = (await readWarehouse('raw/')).flatMap((o) => o.lines);
    expect(after).toHaveLength(before + batchC.length + kplBatch.length);
    expect(after).toEqual(expect.arrayContaining(kplBatch)); // de-aggregated, one line per user record
  });

  it('buffers what the functions send to the local endpoint and writes aggregates by window date', async () => {
    // Prepare
    const delivery = await start();
    const firehose = new FirehoseClient({
      endpoint: delivery.endpoint.url,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const results = Array.from({ length: 30 }, (_, i) => ({
      id: `r${i}`,
      pipeline: 'taxi-rides',
      key: `zone-${i % 3}`,
      window_start: BASE + (i % 2) * 2 * HOUR,
      window_end: BASE + (i % 2) * 2 * HOUR + 60_000,
      values: { count: i },
    }));
    try {
      // Act: three calls land in one buffer per window date (60 s interval), written by stop()
      for (let i = 0; i < results.length; i += 10) {
        const response = await firehose.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: `${streamName}-aggregates`,
            Records: results.slice(i, i + 10).map((r) => ({ Data: Buffer.from(JSON.stringify(r)) })),
          }),
        );
        expect(response.FailedPutCount).toBe(0);
      }
      expect(await readWarehouse('aggregates/')).toEqual([]);
    } finally {
      firehose.destroy();
      await delivery.stop();
    }

    // Assess
    const stored = await readWarehouse('aggregates/');
    expect(stored.map((o) => o.key.split('/').slice(0, 3).join('/')).sort()).toEqual([
      'aggregates/pipeline=taxi-rides/window_date=2026-11-22',
      'aggregates/pipeline=taxi-rides/window_date=2026-11-23',
    ]);
    expect(
      stored
        .flatMap((o) => o.lines)
        .map((l) => JSON.parse(l).id)
        .sort(),
    ).toEqual(results.map((r) => r.id).sort());
  });
  it('loses nothing when the runtime is killed (SIGKILL) with full buffers, and doubles nothing', async () => {
    // Prepare
    const batchD = envelopes(3000, 40);
    const direct = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        id: `killed-${i}`,
        pipeline: 'taxi-rides',
        window_start: BASE,
        window_end: BASE + 60_000,
      }),
    );
    const rawBefore = (await readWarehouse('raw/')).flatMap((o) => o.lines);
    const aggregatesBefore = (await readWarehouse('aggregates/')).flatMap((o) => o.lines);
    await produce(batchD);

    // Act: a process buffers everything (60 s intervals) and is killed; a new one starts on the run folder
    const said = await runUntilReadyThenKill('firehose-kill-child', CHILD, {
      resources: resources(60),
      runDir,
      stream: `${streamName}-aggregates`,
      direct,
      kinesisCount: batchD.length,
    });
    const killedWrote = (await readWarehouse('raw/')).flatMap((o) => o.lines).length - rawBefore.length;
    const delivery = await startFirehoseDelivery({
      resources: resources(60),
      s3,
      kinesis,
      runDir,
      pollIntervalMs: 100,
    });
    try {
      await pollUntil(
        async () => delivery.totals().recordsIn,
        (n) => n >= batchD.length + direct.length,
        {
          timeoutMs: 30_000,
        },
      );
    } finally {
      await delivery.stop();
    }

    // Assess
    expect(JSON.parse(said)).toMatchObject({ recordsIn: batchD.length + direct.length, objectsWritten: 0 });
    expect(killedWrote).toBe(0);
    expect(delivery.totals()).toMatchObject({
      recordsRecovered: direct.length,
      recordsIn: batchD.length + direct.length,
    });
    const raw = (await readWarehouse('raw/')).flatMap((o) => o.lines);
    expect(raw.filter((l) => !rawBefore.includes(l)).sort()).toEqual([...batchD].sort());
    const aggregates = (await readWarehouse('aggregates/')).flatMap((o) => o.lines);
    expect(aggregates.filter((l) => !aggregatesBefore.includes(l)).sort()).toEqual([...direct].sort());
  });

  it('reads every shard to its tip on request, without waiting for the next poll', async () => {
    // Prepare: a minute between polls, so only readToTip can bring the new records in
    const batchE = envelopes(4000, 40);
    const delivery = await startFirehoseDelivery({
      resources: resources(60),
      s3,
      kinesis,
      runDir,
      pollIntervalMs: 60_000,
    });
    try {
      expect(await delivery.readToTip()).toBe(true);
      const before = delivery.totals().recordsIn;
      await produce(batchE);

      // Act
      const started = Date.now();
      const reached = await delivery.readToTip();

      // Assess
      expect(reached).toBe(true);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(delivery.totals().recordsIn - before).toBe(batchE.length);
    } finally {
      await delivery.stop();
    }
    const raw = (await readWarehouse('raw/')).flatMap((o) => o.lines);
    expect(raw).toEqual(expect.arrayContaining(batchE));
  });
});
