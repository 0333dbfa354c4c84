/**
 * `npm run bench:e2e [-- <events>]`: events/s through the whole local pipeline (PutRecords ->
 * kinesis-mock -> event source mapping -> aggregator Lambda -> Firehose -> S3, until the consumer
 * has caught up), against LocalStack Kinesis' raw PutRecords rate measured in the same run with
 * the same records on a scratch stream of the same shard count (goal: ratio >= 0.8); and the delay
 * from the last produced event to the last aggregate in the warehouse (final flush included).
 * Not part of `npm run bench`, which is a few minutes of CPU (plus the producer's batching on
 * LocalStack, skipped when LocalStack is not running), where this one needs LocalStack for ~5 min.
 */
import { pathToFileURL } from 'node:url';
import { CreateStreamCommand, DeleteStreamCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { encodeEnvelope } from '../functions/adapters/kinesis/envelope.js';
import { putRecords } from '../functions/adapters/producer/put-records.js';
import { getPipeline } from '../functions/pipelines/index.js';
import { provisionStream, waitActive } from '../local/runtime/provision/provision.js';
import { generatedInput } from '../local/runtime/start/input.js';
import { pipelineResources } from '../local/runtime/start/pipeline-resources.js';
import { runStart } from '../local/runtime/start/run-start.js';
import { ensureSynthesized } from '../local/runtime/synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../local/runtime/template/index.js';
import { kinesisClient, LOCAL_REGION, localAwsConfig } from '../local/services/clients.js';
import { up } from '../local/services/manager.js';
import { table } from '../local/tools/text-table.js';

// Its own stage (stream, buckets, queue): an e2e test running at the same time cannot mix in.
const STAGE = 'bench';
const PIPELINE = 'taxi-rides';

/** Raw PutRecords records/s into a scratch stream with `shards` shards. */
async function rawPutRate(count: number, shards: number): Promise<number> {
  const kinesis = kinesisClient();
  const name = `tributary-bench-raw-${process.pid}`;
  const pipeline = getPipeline(PIPELINE);
  const entries = generatedInput(PIPELINE, count, 11).flatMap((r) => {
    const parsed = pipeline.parse(r.text, r.arrivalMs);
    if (!parsed.ok) return [];
    const { key, ts, event } = parsed;
    return [{ partitionKey: key, data: encodeEnvelope({ pipeline: PIPELINE, key, ts, event }) }];
  });
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  try {
    await waitActive(kinesis, name);
    const started = Date.now();
    const report = await putRecords(entries, { client: kinesis, streamName: name });
    return (report.accepted.length * 1000) / (Date.now() - started);
  } finally {
    await kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }));
    kinesis.destroy();
  }
}

/** The shard count of the pipeline's stream as the template makes it (created here if missing). */
async function shardCount(assembly: CloudAssembly, streamName: string): Promise<number> {
  const kinesis = kinesisClient();
  try {
    const stream = assembly.resources('AWS::Kinesis::Stream').find((r) => r.physicalName === streamName);
    if (stream) await provisionStream(kinesis, stream, { created: [], existing: [] });
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
    return shards.Shards?.length ?? 1;
  } finally {
    kinesis.destroy();
  }
}

async function main(): Promise<void> {
  // 20,000 by default: at 1,000 the fixed tail (batching window, final flush) is most of the run.
  const events = Number(process.argv[2] ?? 20_000);
  if (!Number.isInteger(events) || events < 1) {
    console.error(
      `usage: npm run bench:e2e [-- <events>]: events must be a whole number >= 1 (given ${process.argv[2]})`,
    );
    process.exitCode = 2;
    return;
  }
  await up({ services: ['localstack'], mode: 'host', timeoutMs: 180_000, log: (l) => console.error(l) });
  const synth = await ensureSynthesized({ stage: STAGE, log: (l) => console.error(l) });
  const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
  const assembly = CloudAssembly.load(synth.dir, context);
  const { streamName } = pipelineResources(assembly, PIPELINE);
  // kinesis-mock's rate drifts with its load and the data it holds, and this machine is shared:
  // the raw rate is measured before and after the run, and the ratio uses the faster of the two.
  const shards = await shardCount(assembly, streamName);
  const rawBefore = await rawPutRate(events, shards);
  let summary: Record<string, unknown> = {};
  const code = await runStart({
    pipeline: PIPELINE,
    events,
    rate: 0,
    seed: 11,
    stage: STAGE,
    out: () => {},
    onSummary: (json) => {
      summary = json;
    },
  });
  const rawAfter = await rawPutRate(events, shards);
  const raw = Math.max(rawBefore, rawAfter);
  const timings = summary.timings as { produceMs: number; drainMs: number; lastAggregateMs: number };
  const produced = Number(summary.produced);
  const throughput = (produced * 1000) / (timings.produceMs + timings.drainMs);
  const produceOnly = (produced * 1000) / timings.produceMs;
  console.log(
    table(
      ['metric', 'value', 'unit', 'note'],
      [
        [
          'events',
          produced,
          'events',
          `${PIPELINE}, ${shards} shards, reconciliation ${code === 0 ? 'MATCH' : 'MISMATCH'}`,
        ],
        [
          'raw PutRecords rate before the run',
          rawBefore,
          'records/s',
          'same records, scratch stream, same shard count',
        ],
        ['raw PutRecords rate after the run', rawAfter, 'records/s', 'the ratio uses the faster one'],
        ['producer rate inside the run', produceOnly, 'events/s', 'PutRecords while the runtime reads'],
        ['pipeline throughput', throughput, 'events/s', 'first PutRecords -> consumer caught up'],
        ['ratio to raw PutRecords', throughput / raw, '', 'goal >= 0.8'],
        // The ratio is the product of these two: which one moved tells a slow run's cause.
        [
          'producer inside the run / raw',
          produceOnly / raw,
          '',
          'what the runtime and its reads leave the producer of kinesis-mock',
        ],
        [
          'producing / (producing + drain)',
          timings.produceMs / (timings.produceMs + timings.drainMs),
          '',
          "the drain: each shard's last batch waits out the mapping's batching window",
        ],
        ['last event -> consumer caught up', timings.drainMs / 1000, 's', ''],
        [
          'last event -> last aggregate in S3',
          timings.lastAggregateMs / 1000,
          's',
          'final flush + Firehose flush included',
        ],
      ],
    ),
  );
  process.exitCode = code;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
