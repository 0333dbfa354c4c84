/**
 * The producer against LocalStack Kinesis: the same taxi-rides events written one PutRecord per
 * event, then with the producer's PutRecords batching, then batched with KPL aggregation, in one
 * run on one stream. Goal: batching >= 10x the events/s of one call per event. Skipped with a
 * message when LocalStack is not running (`npx tributary services up`).
 */
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { encodeEnvelope } from '../functions/adapters/kinesis/envelope.js';
import { validateEvent } from '../functions/adapters/pipeline-event.js';
import { produceEvents } from '../functions/adapters/producer/produce-events.js';
import { kinesisWriter } from '../functions/adapters/producer/record-writer.js';
import { getGenerator } from '../functions/pipelines/generators.js';
import { getPipeline } from '../functions/pipelines/index.js';
import { kinesisClient, localAwsConfig } from '../local/services/clients.js';
import type { Benchmark, BenchRow } from './run.js';

async function localstackReachable(): Promise<string | undefined> {
  let endpoint: string;
  try {
    endpoint = localAwsConfig().endpoint;
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const response = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(3000) });
    return response.ok ? undefined : `LocalStack health answered ${response.status}`;
  } catch (error) {
    return `LocalStack at ${endpoint} does not answer (${(error as Error).message})`;
  }
}

async function createStream(kinesis: KinesisClient, name: string): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4 }));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`stream ${name} did not become ACTIVE within 120 s`);
}

async function run(scale: number): Promise<readonly BenchRow[]> {
  const unreachable = await localstackReachable();
  if (unreachable) {
    console.error(`producer bench skipped: ${unreachable}`);
    return [{ metric: 'skipped: LocalStack not running', value: 0, unit: '-', note: unreachable }];
  }
  const pipeline = getPipeline('taxi-rides');
  const generate = getGenerator('taxi-rides');
  const count = Math.max(50, Math.round(300 * scale));
  const events = [...generate({ seed: 11, count, startMs: Date.UTC(2026, 0, 1), ratePerSec: 100 })].map(
    (g) => g.event,
  );
  const kinesis = kinesisClient();
  const streamName = `bench-producer-${Date.now().toString(36)}`;
  await createStream(kinesis, streamName);
  const writer = kinesisWriter({ client: kinesis });
  try {
    // Warm-up: connections and the stream's first writes.
    await produceEvents(pipeline, events.slice(0, 10), { writer, stream: streamName });

    // One call per event is slow enough (a round trip each) that a sample of the events gives its rate.
    const sample = events.slice(0, Math.max(20, Math.round(50 * scale)));
    let start = performance.now();
    for (const candidate of sample) {
      const parsed = validateEvent(pipeline, candidate);
      if (!parsed.ok) throw new Error(parsed.reason);
      const data = encodeEnvelope({
        pipeline: pipeline.name,
        key: parsed.key,
        ts: parsed.ts,
        event: parsed.event,
      });
      await kinesis.send(
        new PutRecordCommand({ StreamName: streamName, PartitionKey: parsed.key, Data: data }),
      );
    }
    const singleMs = performance.now() - start;

    start = performance.now();
    const batched = await produceEvents(pipeline, events, { writer, stream: streamName });
    const batchedMs = performance.now() - start;

    start = performance.now();
    const aggregated = await produceEvents(pipeline, events, {
      writer: kinesisWriter({ client: kinesis, aggregation: {} }),
      stream: streamName,
    });
    const aggregatedMs = performance.now() - start;

    if (batched.accepted !== count || aggregated.accepted !== count) {
      throw new Error(
        `not every event was written (${batched.accepted}, ${aggregated.accepted} of ${count})`,
      );
    }
    const singleRate = (sample.length / singleMs) * 1000;
    const batchedRate = (count / batchedMs) * 1000;
    return [
      { metric: `one PutRecord per event (${sample.length} events)`, value: singleRate, unit: 'events/s' },
      {
        metric: `PutRecords batches of <= 500 (${count} events)`,
        value: batchedRate,
        unit: 'events/s',
        note: `${batched.calls} calls`,
      },
      {
        metric: `PutRecords + KPL aggregation (${count} events)`,
        value: (count / aggregatedMs) * 1000,
        unit: 'events/s',
        note: `${aggregated.calls} calls`,
      },
      { metric: 'batching speed-up', value: batchedRate / singleRate, unit: 'x', note: 'goal >= 10x' },
    ];
  } finally {
    await kinesis.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => {});
  }
}

export const benchmarks: readonly Benchmark[] = [{ name: 'producer-localstack', run }];
