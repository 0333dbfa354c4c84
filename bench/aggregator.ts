/**
 * The aggregator handler on full 10,000-record Kinesis batches (the event source mapping's maximum
 * batch size) of taxi-rides envelopes, with in-memory state and sinks: milliseconds per batch,
 * everything the handler does included (base64, envelope and schema validation, engine, result
 * mapping, checkpoint encoding). Goal: <= 30 ms per batch.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { AggregatorDependencies } from '../functions/adapters/aggregator/dependencies.js';
import { encodeEnvelope } from '../functions/adapters/kinesis/envelope.js';
import { MemoryDeadLetterSink } from '../functions/adapters/sinks/dead-letter-sink.js';
import { MemoryRecordSink } from '../functions/adapters/sinks/record-sink.js';
import { MemoryStateStore } from '../functions/adapters/state/memory-state-store.js';
import { getGenerator } from '../functions/pipelines/generators.js';
import { getPipeline } from '../functions/pipelines/index.js';
import { median, timed } from './measure.js';
import type { Benchmark, BenchRow } from './run.js';

const BATCH = 10_000;
const SHARD = 'shardId-000000000000';

function batches(count: number, size: number): KinesisStreamEvent[] {
  const pipeline = getPipeline('taxi-rides');
  const generate = getGenerator('taxi-rides');
  const out: KinesisStreamEvent[] = [];
  let records: KinesisStreamRecord[] = [];
  let n = 0;
  // 200 trips/s of simulated time: a 10,000-record batch spans ~50 s, windows close as batches go.
  for (const generated of generate({
    seed: 7,
    count: count * size,
    startMs: Date.UTC(2026, 0, 1),
    ratePerSec: 200,
  })) {
    const parsed = pipeline.parse(generated.text, generated.arrivalMs);
    if (!parsed.ok) continue;
    n += 1;
    const seq = (10n ** 55n + BigInt(n)).toString();
    const data = encodeEnvelope({
      pipeline: pipeline.name,
      key: parsed.key,
      ts: parsed.ts,
      event: parsed.event,
    });
    records.push({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: parsed.key,
        sequenceNumber: seq,
        data: data.toString('base64'),
        approximateArrivalTimestamp: generated.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${SHARD}:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/bench',
    });
    if (records.length === size) {
      out.push({ Records: records });
      records = [];
    }
  }
  return out;
}

/** The floor on this machine: base64-decoding and JSON.parse of a batch's records. */
function parseRecords(event: KinesisStreamEvent): void {
  for (const record of event.Records) JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
}

/**
 * Runs the handler over the batches with fresh in-memory stores, and the floor on each batch
 * right after it: on a shared machine the load changes from one second to the next, and a
 * handler-to-floor ratio holds only when both ran at about the same time.
 */
async function measure(events: readonly KinesisStreamEvent[]) {
  const { createAggregatorHandler } = await import('../functions/handlers/aggregator.js');
  const pipeline = getPipeline('taxi-rides');
  const aggregates = new MemoryRecordSink();
  const deps: AggregatorDependencies = {
    pipeline,
    engine: pipeline.createEngine(),
    stateStore: new MemoryStateStore(),
    aggregates,
    late: new MemoryRecordSink(),
    deadLetters: new MemoryDeadLetterSink(),
    // As in Lambda: the container keeps the checkpoint it wrote (see aggregatorDependencies).
    checkpointCache: new Map(),
  };
  const handler = createAggregatorHandler(() => deps);
  // Two warm-up batches (JIT), then the measured ones, each continuing the previous checkpoint.
  for (const event of events.slice(0, 2)) await handler(event);
  const runs: { ms: number; cpuMs: number; floorMs: number; floorCpuMs: number }[] = [];
  for (const event of events.slice(2)) {
    let failures = 0;
    const run = await timed(async () => {
      failures = (await handler(event)).batchItemFailures.length;
    });
    if (failures > 0) throw new Error('bench batch failed');
    const floor = await timed(() => parseRecords(event));
    runs.push({ ...run, floorMs: floor.ms, floorCpuMs: floor.cpuMs });
  }
  return {
    times: runs.map((r) => r.ms),
    cpuTimes: runs.map((r) => r.cpuMs),
    floors: runs.map((r) => r.floorMs),
    floorCpus: runs.map((r) => r.floorCpuMs),
    cpuRatios: runs.map((r) => r.cpuMs / r.floorCpuMs),
    windows: aggregates.records.length,
  };
}

async function run(scale: number): Promise<readonly BenchRow[]> {
  // Powertools reads these when the handler module creates its logger and metrics: no stdout I/O.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const size = Math.max(100, Math.round(BATCH * Math.min(scale, 1)));
  const count = Math.max(3, Math.round(20 * scale));
  const events = batches(count + 2, size);
  const { times, cpuTimes, floors, floorCpus, cpuRatios, windows } = await measure(events);
  // The same batches as the Lambda runtime hands them over, parsed from the invocation's JSON: its
  // strings are flat, where the eventIDs built above are concatenations the handler flattens.
  const asDelivered = await measure(events.map((event) => JSON.parse(JSON.stringify(event))));
  const medianMs = median(times);
  const floor = median(floors);
  const p90 = [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.9)] ?? Number.NaN;
  return [
    {
      metric: `median ms per ${size}-record batch`,
      value: medianMs,
      unit: 'ms',
      note: `goal <= 30 ms (${times.length} batches)`,
    },
    { metric: 'p90 ms per batch', value: p90, unit: 'ms' },
    { metric: 'median CPU ms per batch', value: median(cpuTimes), unit: 'ms', note: 'user + system' },
    {
      metric: 'floor: base64 + JSON.parse of the batch',
      value: floor,
      unit: 'ms',
      note: `handler = ${(medianMs / floor).toFixed(2)}x the floor`,
    },
    { metric: 'floor: CPU ms', value: median(floorCpus), unit: 'ms', note: 'user + system' },
    {
      metric: 'handler CPU / floor CPU, per batch',
      value: median(cpuRatios),
      unit: 'x',
      note: `as delivered: ${median(asDelivered.cpuRatios).toFixed(2)}x (median of batch ratios)`,
    },
    {
      metric: 'median ms per batch as Lambda delivers it',
      value: median(asDelivered.times),
      unit: 'ms',
      note: 'the event JSON-parsed, as the runtime does',
    },
    { metric: 'records per second', value: Math.round((size / medianMs) * 1000), unit: 'records/s' },
    { metric: 'windows emitted', value: windows, unit: 'results' },
  ];
}

export const benchmarks: readonly Benchmark[] = [{ name: 'aggregator-handler', run }];
