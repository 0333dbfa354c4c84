import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { LOCAL_REGION, localAwsConfig } from '../../services/clients.js';
import { up } from '../../services/manager.js';
import { provision } from '../provision/provision.js';
import { resetPipeline } from '../provision/reset.js';
import { ensureSynthesized } from '../synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../template/index.js';
import { destroyClients, localClients } from './clients.js';
import type { FaultPlan } from './faults.js';
import { finalFlush } from './final-flush.js';
import { fileInput, generatedInput, type InputRecord, loadInput, saveInput } from './input.js';
import { pipelineResources } from './pipeline-resources.js';
import { produceInput } from './producer.js';
import { ProgressDisplay } from './progress.js';
import { reconcile } from './reconcile.js';
import {
  existingRunFolder,
  newRunFolder,
  type RunSpec,
  readJsonFile,
  runSpecSchema,
  writeJsonAtomic,
} from './run-folder.js';
import { printSummary, type RunSummary, summarize } from './run-summary.js';
import { type PipelineRuntime, startPipelineRuntime } from './runtime.js';
import { assertStreamAlive, RunFailedError, shardRanges } from './stream-checks.js';

/** Options of {@link runStart} (`tributary start`). */
export interface StartOptions {
  readonly pipeline: string;
  readonly events: number;
  readonly rate: number;
  readonly seed: number;
  readonly input?: string;
  readonly run?: string;
  readonly keepRunning?: boolean;
  /** Synthesize and run another stage than cdk.json's (own names; the e2e tests use `e2e`). */
  readonly stage?: string;
  readonly faults?: Omit<FaultPlan, 'functionName' | 'counterFile'>;
  /** How long the consumer may take to catch up after the last record. @default 60 s + 50 ms per record */
  readonly catchUpTimeoutMs?: number;
  readonly out?: (line: string) => void;
  /** Receives the summary's JSON form (`summary.json`), e.g. for the benchmark. */
  readonly onSummary?: (json: Record<string, unknown>) => void;
}

async function prepareFolder(options: StartOptions, reset: () => Promise<void>) {
  if (options.run) {
    const folder = existingRunFolder(options.run);
    return {
      folder,
      spec: readJsonFile(folder.spec, runSpecSchema),
      input: loadInput(folder.input),
      resumed: true,
    };
  }
  const folder = newRunFolder(options.pipeline);
  const input: InputRecord[] = options.input
    ? await fileInput(options.input)
    : generatedInput(options.pipeline, options.events, options.seed);
  const spec: RunSpec = {
    id: folder.dir.split('/').pop() ?? folder.dir,
    pipeline: options.pipeline,
    events: input.length,
    rate: options.rate,
    seed: options.seed,
    input: options.input ?? null,
    stage: options.stage ?? null,
    createdAt: new Date().toISOString(),
  };
  await reset();
  saveInput(folder.input, input);
  writeJsonAtomic(folder.spec, spec);
  return { folder, spec, input, resumed: false };
}

/**
 * `tributary start`: services, synth-if-changed, provisioning, the local runtime, the producer,
 * catch-up, the final flush, Firehose flush, then the summary and the reconciliation.
 * Resolves to the exit code: 0 only when the warehouse matches the ground truth.
 */
export async function runStart(options: StartOptions): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  await up({ services: ['localstack'], mode: 'host', timeoutMs: 180_000, log: note, claim: false });
  const previous = options.run ? readJsonFile(existingRunFolder(options.run).spec, runSpecSchema) : undefined;
  const stage = previous ? (previous.stage ?? undefined) : options.stage;
  const synth = await ensureSynthesized({ log: note, stage });
  note(
    synth.synthesized
      ? `synthesized cdk.out in ${(synth.ms / 1000).toFixed(1)} s`
      : 'cdk.out is up to date (sources unchanged)',
  );
  const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
  const assembly = CloudAssembly.load(synth.dir, context);
  const pipelineName = previous?.pipeline ?? options.pipeline;
  const pipeline = getPipeline(pipelineName).pipeline;
  const resources = pipelineResources(assembly, pipelineName);
  const clients = localClients();
  let runtime: PipelineRuntime | undefined;
  try {
    if (options.run) await assertStreamAlive(clients, resources.streamName);
    const provisioned = await provision(assembly, clients);
    note(`provisioned: ${provisioned.created.length} created, ${provisioned.existing.length} already there`);
    const reset = () =>
      resetPipeline(assembly, clients, {
        streamName: resources.streamName,
        deadLetterQueueUrl: resources.deadLetterQueueUrl,
        prefixes: [
          { bucket: resources.stateBucket, prefix: `${resources.statePrefix}${pipelineName}/` },
          ...['raw', 'aggregates', 'late'].map((p) => ({
            bucket: resources.warehouseBucket,
            prefix: `${p}/pipeline=${pipelineName}/`,
          })),
        ],
      });
    const { folder, spec, input, resumed } = await prepareFolder(options, reset);
    note(
      `${resumed ? 'resuming' : 'run'} ${folder.dir}: ${pipelineName}, ${input.length} events${spec.rate > 0 ? ` at ${spec.rate}/s` : ''}`,
    );
    runtime = await startPipelineRuntime({
      assembly,
      context,
      clients,
      resources,
      folder,
      faults: options.faults,
      log: note,
    });
    const rt = runtime;
    let produced = 0;
    let deadLettered = 0;
    const display = new ProgressDisplay(() => ({
      phase: produced < input.length ? 'producing' : 'draining',
      produced,
      target: input.length,
      consumed: rt.consumed(),
      iteratorAgeMs: rt.iteratorAgeMs(),
      windowsClosed:
        rt.firehose.counters()[resources.aggregatorEnv.AGGREGATES_DELIVERY_STREAM ?? '']?.recordsIn ?? 0,
      late: rt.firehose.counters()[resources.aggregatorEnv.LATE_DELIVERY_STREAM ?? '']?.recordsIn ?? 0,
      deadLettered,
      elapsedMs: Date.now() - started,
    }));
    display.start();
    const dlqTimer = setInterval(
      () =>
        void rt.deadLetters().then(
          (n) => {
            deadLettered = n;
          },
          () => {},
        ),
      2000,
    );
    dlqTimer.unref();
    const produceStarted = Date.now();
    const outcome = await produceInput({
      pipeline,
      input,
      kinesis: clients.kinesis,
      streamName: resources.streamName,
      rate: spec.rate,
      stateFile: folder.producer,
      onProgress: (n) => {
        produced = n;
      },
    }).catch(async (error: unknown) => {
      // A stream that vanished mid-run means LocalStack restarted: say so, not a bare SDK error.
      await assertStreamAlive(clients, resources.streamName, rt);
      throw error;
    });
    produced = outcome.accepted;
    const produceMs = Date.now() - produceStarted;
    if (outcome.refused.length > 0) {
      throw new RunFailedError(
        `the stream refused ${outcome.refused.length} records, e.g. ${outcome.refused[0]?.reason}`,
      );
    }
    const timeout = options.catchUpTimeoutMs ?? 60_000 + 50 * outcome.accepted;
    const deadline = Date.now() + timeout;
    // Caught up = on every shard, the mapping read up to the tip as it was once production ended
    // and checkpointed all it read: records written by others (a test's poison records) and a
    // resumed run's earlier records count too. (Reading the stream again to find the tips took
    // ~10 s at 20,000 records on kinesis-mock: half the drain time.)
    const producedAt = Date.now();
    const shardIds = (await shardRanges(clients, resources.streamName)).map((s) => s.shardId);
    while (!rt.caughtUp(shardIds, producedAt)) {
      await assertStreamAlive(clients, resources.streamName, rt);
      if (Date.now() > deadline) {
        throw new RunFailedError(
          `the consumer did not catch up in ${timeout} ms: ${rt.consumed()} of ${outcome.accepted} records consumed`,
        );
      }
      await sleep(500);
    }
    const lastConsumedAt = Date.now();
    if (options.keepRunning) {
      display.log(
        'caught up; --keep-running: the runtime stays up (produce more with `tributary produce`), Ctrl-C ends it',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
    await rt.stopConsumers();
    const flushed = await finalFlush({
      pipeline,
      aggregatorEnv: resources.aggregatorEnv,
      s3: clients.s3,
      sqs: clients.sqs,
      firehoseEndpoint: rt.firehose.endpoint.url,
    });
    await rt.firehose.flush();
    deadLettered = await rt.deadLetters();
    clearInterval(dlqTimer);
    display.stop();
    await assertStreamAlive(clients, resources.streamName, rt);
    const summary: RunSummary = await summarize({
      clients,
      resources,
      pipeline,
      input,
      folder,
      runtime: rt,
      shards: await shardRanges(clients, resources.streamName),
      timings: {
        totalMs: Date.now() - started,
        produceMs,
        drainMs: lastConsumedAt - produceStarted - produceMs,
        lastAggregateMs: Date.now() - produceStarted - produceMs,
      },
      produced: outcome,
      finalFlushWindows: flushed.windowsClosed,
      deadLettered,
      reconcile,
    });
    writeFileSync(folder.summary, `${JSON.stringify(summary.json, null, 2)}\n`);
    printSummary(summary, out);
    options.onSummary?.(summary.json);
    return summary.reconciliation.ok ? 0 : 1;
  } finally {
    await runtime?.close().catch(() => {});
    destroyClients(clients);
  }
}

export { RunFailedError } from './stream-checks.js';
