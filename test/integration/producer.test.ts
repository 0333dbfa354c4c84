import {
  DeleteStreamCommand,
  type KinesisClient,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKinesisRecord } from '../../functions/adapters/kinesis/decode.js';
import { envelopeSchema } from '../../functions/adapters/kinesis/envelope.js';
import { produceEvents } from '../../functions/adapters/producer/produce-events.js';
import { kinesisWriter } from '../../functions/adapters/producer/record-writer.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { kinesisClient } from '../../local/services/clients.js';
import { kinesisRecord } from '../fixtures/kinesis-events.js';
import { taxiTrip } from '../fixtures/taxi-trips.js';
import { createActiveStream, readSingleShard } from './helpers/kinesis.js';
import { uniqueName } from './helpers/unique.js';

const T0 = Date.UTC(2026, 0, 1);
const streamName = uniqueName('producer-taxi');
let kinesis: KinesisClient;

/**
 * A Kinesis client whose PutRecords calls have some entries "throttled" before they reach
 * LocalStack: those entries are not sent, and the answer reports them as Kinesis does
 * (ProvisionedThroughputExceededException per entry, FailedRecordCount raised).
 */
function throttlingClient(throttle: (call: number, index: number) => boolean): KinesisClient {
  const client = kinesisClient();
  let calls = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (!('Records' in args.input) || !('StreamName' in args.input)) return next(args);
      const input: PutRecordsCommandInput = args.input;
      const entries = input.Records ?? [];
      calls += 1;
      const call = calls;
      const throttled = new Set(entries.flatMap((_, i) => (throttle(call, i) ? [i] : [])));
      const kept = entries.filter((_, i) => !throttled.has(i));
      const sent =
        kept.length > 0
          ? ((await next({ ...args, input: { ...input, Records: kept } })).output as PutRecordsCommandOutput)
          : { $metadata: {}, FailedRecordCount: 0, Records: [] as PutRecordsResultEntry[] };
      const answers = [...(sent.Records ?? [])];
      const records: PutRecordsResultEntry[] = entries.map((_, i) =>
        throttled.has(i)
          ? {
              ErrorCode: 'ProvisionedThroughputExceededException',
              ErrorMessage: 'Rate exceeded for shard (injected)',
            }
          : (answers.shift() ?? {}),
      );
      const output: PutRecordsCommandOutput = {
        ...sent,
        Records: records,
        FailedRecordCount: (sent.FailedRecordCount ?? 0) + throttled.size,
      };
      return { response: {}, output };
    },
    { step: 'initialize', name: 'injectThrottling' },
  );
  return client;
}

async function readStream(): Promise<{ key: string; zone: number }[]> {
  const { records } = await readSingleShard(kinesis, streamName);
  return records.flatMap((r, n) =>
    decodeKinesisRecord(
      kinesisRecord({ data: Buffer.from(r.Data ?? []), partitionKey: r.PartitionKey ?? '', n }),
    ).map((o) => {
      if (!o.ok) throw new Error(`unexpected record in the stream: ${o.error.message}`);
      const envelope = envelopeSchema.parse(JSON.parse(o.record.data.toString()));
      return { key: envelope.key, zone: (envelope.event as { PULocationID: number }).PULocationID };
    }),
  );
}

beforeAll(async () => {
  kinesis = kinesisClient();
  await createActiveStream(kinesis, streamName, 1);
});

afterAll(async () => {
  await kinesis?.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => {});
});

describe('producer against LocalStack Kinesis with injected throttling', () => {
  it('writes every event exactly once when a third of the entries are throttled on the first attempt', async () => {
    // Prepare
    const pipeline = getPipeline('taxi-rides');
    const events = Array.from({ length: 30 }, (_, i) => taxiTrip({ zone: i + 1, pickupMs: T0 + i * 1000 }));
    const client = throttlingClient((call, i) => call === 1 && i % 3 === 0);

    // Act
    const report = await produceEvents(pipeline, events, {
      writer: kinesisWriter({ client, backoff: { baseDelayMs: 5 } }),
      stream: streamName,
    });
    const written = await readStream();

    // Assess
    expect(report).toMatchObject({ accepted: 30, rejected: [], calls: 2 });
    expect(written.map((w) => w.zone).sort((a, b) => a - b)).toEqual(events.map((e) => e.PULocationID));
    expect(written.every((w) => w.key === String(w.zone))).toBe(true);
  });

  it('reports entries still throttled after the bounded retries as rejected, and they are not in the stream', async () => {
    // Prepare: zone 200 is throttled on every attempt; 201 and 202 pass.
    const pipeline = getPipeline('taxi-rides');
    const events = [200, 201, 202].map((zone) => taxiTrip({ zone, pickupMs: T0 }));
    const client = throttlingClient((_call, i) => i === 0 && _call >= 0);
    const before = (await readStream()).length;

    // Act
    const report = await produceEvents(pipeline, events, {
      writer: kinesisWriter({ client, backoff: { maxAttempts: 3, baseDelayMs: 5 } }),
      stream: streamName,
    });

    // Assess
    expect(report.accepted).toBe(2);
    expect(report.rejected).toEqual([
      { index: 0, reason: expect.stringMatching(/ProvisionedThroughputExceededException.*after 3 attempts/) },
    ]);
    const written = await readStream();
    expect(written).toHaveLength(before + 2);
    expect(written.map((w) => w.zone)).not.toContain(200);
  });
});
