import type { KinesisStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregatorDependencies } from '../../../functions/adapters/aggregator/from-env.js';
import { readAggregatorEnv } from '../../../functions/adapters/config.js';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { aggregateRecords } from '../../../functions/adapters/kinesis/kpl.js';
import type { createAggregatorHandler as CreateHandler } from '../../../functions/handlers/aggregator.js';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { awsSample, envelopeRecord, kinesisEvent, kinesisRecord } from '../../fixtures/kinesis-events.js';
import { taxiTrip } from '../../fixtures/taxi-trips.js';
import { aggregatorEnv, stubAwsClients } from './stub-aws.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
let createAggregatorHandler: typeof CreateHandler;

beforeAll(async () => {
  // Powertools reads these when the handler module creates its logger and metrics.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ createAggregatorHandler } = await import('../../../functions/handlers/aggregator.js'));
});

function setup() {
  const aws = stubAwsClients();
  const pipeline = getPipeline('taxi-rides');
  const handler = createAggregatorHandler(() =>
    aggregatorDependencies(readAggregatorEnv(aggregatorEnv), pipeline, aws.clients),
  );
  return { aws, handler };
}

const trip = (n: number, zone: number, pickupMs: number) => {
  const event = taxiTrip({ zone, pickupMs });
  return envelopeRecord({ pipeline: 'taxi-rides', key: String(zone), ts: pickupMs, event, n });
};

describe('aggregator handler', () => {
  it.each([
    'powertools-python-kinesis-stream-event.json',
    'powertools-ts-kinesis-stream-one-record.json',
    'powertools-ts-kinesis-stream-tumbling-window.json',
    'aws-lambda-go-kinesis-time-window-event.json',
  ])(
    'dead-letters the records of the AWS sample %s with a reason, without blocking the shard',
    async (file) => {
      // Prepare
      const { aws, handler } = setup();
      const event = awsSample<KinesisStreamEvent>(file);

      // Act
      const response = await handler(event);

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(aws.sqs).toHaveLength(event.Records.length);
      expect(aws.sqs[0]).toMatchObject({
        pipeline: 'taxi-rides',
        shard: 'shardId-000000000006',
        sequence_number: event.Records[0]?.kinesis.sequenceNumber,
      });
      // Every letter, not only the first, says why its record could not be used.
      expect(aws.sqs.map((letter) => (letter as { reason: string }).reason)).toEqual(
        event.Records.map(() => expect.stringMatching(/^(not-json|invalid-envelope): \S/)),
      );
      expect([...aws.objects.keys()]).toEqual(['state/taxi-rides/shardId-000000000006.json']);
    },
  );

  it('dead-letters records whose reasons quote hundreds of KiB of them, the reasons cut to fit the queue', async () => {
    // Prepare: a record naming another pipeline by a 300 KiB name, and a trip whose drop-off comes
    // before its pick-up, both written with 200 KiB of fractional seconds (the schema quotes them)
    const { aws, handler } = setup();
    const fraction = '1'.repeat(200 * 1024);
    const backwards = {
      ...taxiTrip({ zone: 7, pickupMs: T0 }),
      tpep_pickup_datetime: `2026-01-01T00:10:00.${fraction}Z`,
      tpep_dropoff_datetime: `2026-01-01T00:00:00.${fraction}Z`,
    };
    const event = kinesisEvent([
      envelopeRecord({ pipeline: 'p'.repeat(300 * 1024), key: '7', ts: T0, event: {}, n: 1 }),
      envelopeRecord({ pipeline: 'taxi-rides', key: '7', ts: T0, event: backwards, n: 2 }),
    ]);

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const reasons = aws.sqs.map((letter) => (letter as { reason: string }).reason);
    expect(reasons).toEqual([
      expect.stringMatching(/^wrong-pipeline: .*\.\.\. \(reason cut: \d+ characters\)$/),
      expect.stringMatching(/^invalid-event: .*\.\.\. \(reason cut: \d+ characters\)$/),
    ]);
    expect(reasons.every((reason) => reason.length < 2_100)).toBe(true);
  });

  it('dead-letters an event that is not a Kinesis batch (AWS Firehose sample) instead of throwing', async () => {
    // Prepare: aws-lambda-go's Firehose data-transformation sample, sent to the wrong function
    const { aws, handler } = setup();
    const event = awsSample<unknown>('../events/aws-lambda-go-kinesis-firehose-event.json');

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.sqs).toHaveLength(1);
    expect(aws.sqs[0]).toMatchObject({
      pipeline: 'taxi-rides',
      reason: expect.stringMatching(
        /^not-a-kinesis-event: expected \{"Records": \[\.\.\.\]\} \(given an object with keys \[/,
      ),
    });
  });

  it('dead-letters the entries of a batch that are not Kinesis records and applies the others', async () => {
    // Prepare
    const { aws, handler } = setup();
    const good = trip(1, 161, T0);
    const event = { Records: [{ eventID: 'x', kinesis: { sequenceNumber: 'abc' } }, good] };

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.sqs).toHaveLength(1);
    expect(aws.sqs[0]).toMatchObject({
      reason: expect.stringMatching(/^not-a-kinesis-record: Records\[0\] kinesis\.sequenceNumber: /),
    });
    expect([...aws.objects.keys()]).toEqual(['state/taxi-rides/shardId-000000000006.json']);
  });

  it('takes its deadline from the Lambda context: a busy shard is not claimed from the idle flush', async () => {
    // Prepare: two batches of one shard in a row; the idle timeout (2 min) is longer than the
    // 60 s the context gives, so only a batch that does not know its deadline (15 min assumed) claims.
    const { aws, handler } = setup();
    const context = { getRemainingTimeInMillis: () => 60_000 };
    const batch = (n: number) => kinesisEvent([trip(n, 7, T0 + n * 1000)]);
    const checkpointEtag = () => aws.objects.get('state/taxi-rides/shardId-000000000006.json')?.etag;

    // Act
    await handler(batch(1), context);
    const first = checkpointEtag();
    await handler(batch(2), context);
    const second = checkpointEtag();
    await handler(batch(3));
    const third = checkpointEtag();

    // Assess: one write per batch with the context; a claim and a write without it
    expect([first, second, third]).toEqual(['"etag-1"', '"etag-2"', '"etag-4"']);
  });

  it('aggregates trips from a KPL-aggregated record and closes the window after the grace period', async () => {
    // Prepare: 3 trips of zone 132 in [T0, T0+5m) packed into one KPL record, then a trip at T0+66m.
    const { aws, handler } = setup();
    const trips = [1, 2, 3].map((i) => ({ zone: 132, at: T0 + i * MIN }));
    const [packed] = aggregateRecords(
      trips.map((t) => ({
        partitionKey: String(t.zone),
        data: encodeEnvelope({
          pipeline: 'taxi-rides',
          key: String(t.zone),
          ts: t.at,
          event: taxiTrip({ zone: t.zone, pickupMs: t.at }),
        }),
      })),
    );
    if (!packed) throw new Error('expected a KPL record');
    const event = kinesisEvent([
      kinesisRecord({ data: packed.data, partitionKey: packed.partitionKey, n: 1 }),
      trip(2, 132, T0 + 66 * MIN),
    ]);

    // Act
    const response = await handler(event);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const results = aws.firehose
      .filter((r) => r.stream === 'tributary-aggregates')
      .map((r) => JSON.parse(r.line));
    expect(results).toEqual([
      expect.objectContaining({
        key: '132',
        window_start: T0,
        window_end: T0 + 5 * MIN,
        values: expect.objectContaining({ trips: 3 }),
      }),
    ]);
    expect(aws.firehose.every((r) => r.line.endsWith('\n'))).toBe(true);
  });

  it('applies a batch that Lambda delivers twice only once', async () => {
    // Prepare
    const { aws, handler } = setup();
    const event = kinesisEvent([trip(1, 48, T0), trip(2, 48, T0 + MIN), trip(3, 48, T0 + 70 * MIN)]);

    // Act
    await handler(event);
    await handler(event);

    // Assess
    const results = aws.firehose.filter((r) => r.stream === 'tributary-aggregates');
    expect(results).toHaveLength(1);
    expect(JSON.parse(results[0]?.line ?? '{}').values.trips).toBe(2);
  });
});
