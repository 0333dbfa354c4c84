import { writeFileSync } from 'node:fs';
import { getPipeline } from '../../../functions/pipelines/index.js';
import { kafka, LOCAL_REGION, localAwsConfig } from '../../services/clients.js';
import { useLocalstack } from '../../services/external-localstack.js';
import { up } from '../../services/manager.js';
import { provision } from '../provision/provision.js';
import { resetPipeline } from '../provision/reset.js';
import { ensureSynthesized } from '../synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext, type LocalAwsContext } from '../template/index.js';
import { waitUntilCaughtUp } from './catch-up.js';
import { destroyClients, localClients } from './clients.js';
import type { FaultPlan } from './faults.js';
import { finalFlush } from './final-flush.js';
import { fileInput, generatedInput, type InputRecord, loadInput, saveInput } from './input.js';
import { keepRunning, type RecordsWrittenByOthers } from './keep-running.js';
import { LocalstackWatch } from './localstack-watch.js';
import { type PipelineResources, pipelineResources } from './pipeline-resources.js';
import { produceInput } from './producer.js';
import { ProgressDisplay } from './progress.js';
import { reconcile } from './reconcile.js';
import { RunFailedError } from './run-failed-error.js';
import {
  existingRunFolder,
  newRunFolder,
  type RunSpec,
  readJsonFile,
  runSpecOf,
  runSpecSchema,
  writeJsonAtomic,
} from './run-folder.js';
import { assertLatestRun, markLatestRun, type RunTarget, takeRunLock } from './run-lock.js';
import { kafkaRunStream, kinesisRunStream, type RunStream } from './run-stream.js';
import { printSummary, type RunSummary, summarize } from './run-summary.js';
import { type PipelineRuntime, startPipelineRuntime } from './runtime.js';

/** Options of {@link runStart} (`tributary start`). */
export interface StartOptions {
  readonly pipeline: string;
  readonly events: number;
  /** PutRecords pace in events/s; 0 is as fast as the stream takes them. */
  readonly rate: number;
  /** Spread the input over about this many seconds instead (sets the rate from the input's length). */
  readonly durationSeconds?: number;
  readonly seed: number;
  readonly input?: string;
  readonly run?: string;
  readonly keepRunning?: boolean;
  /** Synthesize and run another stage than cdk.json's (own names; the e2e tests use `e2e`). */
  readonly stage?: string;
  /** `msk`: the app synthesized with `-c transport=msk`, its topic on the local Kafka broker. @default kinesis */
  readonly transport?: 'kinesis' | 'msk';
  readonly faults?: Omit<FaultPlan, 'functionName' | 'counterFile'>;
  /** How long the consumer may take to catch up after the last record. @default 60 s + 50 ms per record */
  readonly catchUpTimeoutMs?: number;
  readonly out?: (line: string) => void;
  /** Receives the summary's JSON form (`summary.json`), e.g. for the benchmark. */
  readonly onSummary?: (json: Record<string, unknown>) => void;
}

/**
 * The PutRecords pace of a new run: `rate`, or with `durationSeconds` the input's length over it. A
 * file's length is known only once it is read, so the pace is set here, for both kinds of input.
 */
export function producerRate(
  events: number,
  options: Pick<StartOptions, 'rate' | 'durationSeconds'>,
): number {
  const { rate, durationSeconds } = options;
  return durationSeconds ? Math.max(1, Math.round(events / durationSeconds)) : rate;
}

/** The run's folder, spec and input: a resumed run's as saved, or a new one's, after `reset(its id)`. */
async function prepareFolder(
  options: StartOptions,
  fromFile: InputRecord[] | undefined,
  reset: (runId: string) => Promise<void>,
) {
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
  const input: InputRecord[] = fromFile ?? generatedInput(options.pipeline, options.events, options.seed);
  const spec: RunSpec = {
    id: folder.dir.split('/').pop() ?? folder.dir,
    pipeline: options.pipeline,
    events: input.length,
    rate: producerRate(input.length, options),
    seed: options.seed,
    input: options.input ?? null,
    stage: options.stage ?? null,
    transport: options.transport ?? 'kinesis',
    createdAt: new Date().toISOString(),
  };
  await reset(spec.id);
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
  const previous = options.run ? runSpecOf(options.run) : undefined;
  const stage = previous ? (previous.stage ?? undefined) : options.stage;
  const transport = previous ? previous.transport : (options.transport ?? 'kinesis');
  // Read before any service starts: an empty or unreadable file is a usage error, not a run.
  const fromFile = options.input && !options.run ? await fileInput(options.input) : undefined;
  await useLocalstack(note);
  // The MSK app's topics live on the local Kafka broker: started or reused like LocalStack.
  if (transport === 'msk')
    await up({ services: ['kafka'], mode: 'host', timeoutMs: 180_000, log: note, claim: false });
  const synth = await ensureSynthesized({ log: note, stage, transport });
  note(
    synth.synthesized
      ? `synthesized cdk.out in ${(synth.ms / 1000).toFixed(1)} s`
      : 'cdk.out is up to date (sources unchanged)',
  );
  const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
  const pipelineName = previous?.pipeline ?? options.pipeline;
  const target = { endpoint: context.endpoint, stage, pipeline: pipelineName };
  const releaseLock = takeRunLock(target);
  try {
    if (previous && options.run) assertLatestRun(target, previous.id, options.run);
    return await runLocked(options, { synth, context, runTarget: target, fromFile, out, note, started });
  } finally {
    releaseLock();
  }
}

/** What a fresh run empties first: the pipeline's stream, dead letters, checkpoints and warehouse prefixes. */
function resetTarget(resources: PipelineResources, stream: RunStream, pipelineName: string) {
  return {
    resetStream: () => stream.reset(),
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
    prefixes: [
      { bucket: resources.stateBucket, prefix: `${resources.statePrefix}${pipelineName}/` },
      ...['raw', 'aggregates', 'late'].map((p) => ({
        bucket: resources.warehouseBucket,
        prefix: `${p}/pipeline=${pipelineName}/`,
      })),
    ],
  };
}

/** The live progress line: produced (from `counts`), consumed, iterator age, windows, late, dead letters. */
function progressDisplay(
  rt: PipelineRuntime,
  resources: PipelineResources,
  counts: { readonly produced: number; readonly deadLettered: number; readonly waiting: boolean },
  target: number,
  started: number,
): ProgressDisplay {
  const delivered = (stream: string | undefined) => rt.firehose.counters()[stream ?? '']?.recordsIn ?? 0;
  return new ProgressDisplay(() => ({
    phase: counts.produced < target ? 'producing' : counts.waiting ? 'waiting' : 'draining',
    produced: counts.produced,
    target,
    consumed: rt.consumed(),
    lag: rt.lagText(),
    windowsClosed: delivered(resources.aggregatorEnv.AGGREGATES_DELIVERY_STREAM),
    late: delivered(resources.aggregatorEnv.LATE_DELIVERY_STREAM),
    deadLettered: counts.deadLettered,
    elapsedMs: Date.now() - started,
  }));
}

async function runLocked(
  options: StartOptions,
  given: {
    readonly synth: { readonly dir: string };
    readonly context: LocalAwsContext;
    /** Its pipeline is the run's. */
    readonly runTarget: RunTarget;
    /** The events of `--input`, read before anything started. */
    readonly fromFile: InputRecord[] | undefined;
    readonly out: (line: string) => void;
    readonly note: (line: string) => void;
    readonly started: number;
  },
): Promise<number> {
  const { synth, context, runTarget, fromFile, out, note, started } = given;
  const pipelineName = runTarget.pipeline;
  const watch = await LocalstackWatch.begin(context.endpoint, note);
  const assembly = CloudAssembly.load(synth.dir, context);
  const pipeline = getPipeline(pipelineName);
  const resources = pipelineResources(assembly, pipelineName);
  const clients = localClients();
  const kafkaClient = resources.mapping.transport === 'msk' ? kafka() : undefined;
  const stream = kafkaClient
    ? kafkaRunStream(assembly, kafkaClient, resources, watch)
    : kinesisRunStream(assembly, clients, resources.streamName, watch);
  let runtime: PipelineRuntime | undefined;
  let display: ProgressDisplay | undefined;
  let dlqTimer: NodeJS.Timeout | undefined;
  try {
    if (options.run) await stream.assertAlive();
    const provisioned = await provision(assembly, clients);
    const topics = await stream.provision();
    note(
      `provisioned: ${provisioned.created.length + topics.created.length} created, ${provisioned.existing.length + topics.existing.length} already there`,
    );
    const { folder, spec, input, resumed } = await prepareFolder(options, fromFile, async (runId) => {
      // Noted first: a reset that fails halfway has already spoiled the older runs' streams.
      markLatestRun(runTarget, runId);
      await resetPipeline(clients, resetTarget(resources, stream, pipelineName));
    });
    note(
      `${resumed ? 'resuming' : 'run'} ${folder.dir}: ${pipelineName}, ${input.length} events${spec.rate > 0 ? ` at ${spec.rate}/s` : ''}`,
    );
    runtime = await startPipelineRuntime({
      assembly,
      context,
      clients,
      kafka: kafkaClient,
      resources,
      folder,
      watch,
      faults: options.faults,
      log: note,
    });
    const rt = runtime;
    const counts = { produced: 0, deadLettered: 0, waiting: false };
    display = progressDisplay(rt, resources, counts, input.length, started);
    display.start();
    dlqTimer = setInterval(
      () =>
        void rt.deadLetters().then(
          (n) => {
            counts.deadLettered = n;
          },
          () => {},
        ),
      2000,
    );
    dlqTimer.unref();
    const produceStarted = Date.now();
    const target = stream.target();
    const outcome = await produceInput({
      pipeline,
      input,
      target,
      rate: spec.rate,
      stateFile: folder.producer,
      onProgress: (n) => {
        counts.produced = n;
      },
    })
      .catch(async (error: unknown) => {
        // A stream that vanished mid-run means LocalStack restarted: say so, not a bare SDK error.
        await rt.assertStreamAlive();
        throw error;
      })
      .finally(() => target.close());
    counts.produced = outcome.accepted;
    const produceMs = Date.now() - produceStarted;
    if (outcome.refused.length > 0) {
      throw new RunFailedError(
        `the stream refused ${outcome.refused.length} records, e.g. ${outcome.refused[0]?.reason}`,
      );
    }
    const catchUp = {
      clients,
      streamName: resources.streamName,
      runtime: rt,
      timeoutMs: options.catchUpTimeoutMs ?? 60_000 + 50 * outcome.accepted,
    };
    // The raw delivery reads the stream every few seconds: it reads to the tip alongside the catch-up.
    const rawReadToTip = options.keepRunning ? undefined : rt.firehose.readToTip();
    await waitUntilCaughtUp({ ...catchUp, since: Date.now() });
    const lastConsumedAt = Date.now();
    counts.waiting = options.keepRunning === true;
    let stoppedAt = Date.now();
    const stopped = () => {
      stoppedAt = Date.now();
      counts.waiting = false;
    };
    const writtenByOthers: RecordsWrittenByOthers = options.keepRunning
      ? await keepRunning({
          ...catchUp,
          stream,
          pipelineName,
          log: (line) => display?.log(line),
          onInterrupt: stopped,
        })
      : { records: [], unreadable: 0 };
    if (!(await (rawReadToTip ?? rt.firehose.readToTip()))) {
      display.log('raw delivery: a shard was not read to its end within 30 s; raw/ will miss records');
    }
    await rt.stopConsumers();
    const ageSeconds = resources.mapping.config.maximumRecordAgeSeconds;
    const backlog = stream.backlog(ageSeconds < 0 ? Number.POSITIVE_INFINITY : ageSeconds * 1000);
    const flushed = await finalFlush({
      pipeline,
      aggregatorEnv: resources.aggregatorEnv,
      s3: clients.s3,
      sqs: clients.sqs,
      firehoseEndpoint: rt.firehose.endpoint.url,
      backlog,
    }).finally(() => backlog.close());
    await rt.firehose.flush();
    counts.deadLettered = await rt.deadLetters();
    clearInterval(dlqTimer);
    display.stop();
    await rt.assertStreamAlive();
    const summary: RunSummary = await summarize({
      clients,
      resources,
      pipeline,
      input: [...input, ...writtenByOthers.records],
      writtenByOthers: writtenByOthers.records.length,
      folder,
      runtime: rt,
      placement: await stream.placement(),
      timings: {
        totalMs: Date.now() - started,
        produceMs,
        drainMs: lastConsumedAt - produceStarted - produceMs,
        ...(options.keepRunning
          ? { lastAggregateMs: Date.now() - stoppedAt, lastAggregateAfter: 'the stop' as const }
          : {
              lastAggregateMs: Date.now() - produceStarted - produceMs,
              lastAggregateAfter: 'the last event' as const,
            }),
      },
      produced: outcome,
      finalFlushWindows: flushed.windowsClosed,
      deadLettered: counts.deadLettered,
      reconcile,
    });
    writeFileSync(folder.summary, `${JSON.stringify(summary.json, null, 2)}\n`);
    printSummary(summary, out);
    options.onSummary?.(summary.json);
    return summary.ok ? 0 : 1;
  } catch (error) {
    // Whatever failed (a refused connection, NoSuchBucket in the final flush), a LocalStack that
    // restarted meanwhile is the cause to report.
    if (!(error instanceof RunFailedError)) await watch.assertSameInstance();
    throw error;
  } finally {
    clearInterval(dlqTimer);
    display?.stop();
    await runtime?.close().catch(() => {});
    destroyClients(clients);
  }
}
