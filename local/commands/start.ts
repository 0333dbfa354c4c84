import { z } from 'zod';
import { generatorNames, NoGeneratorError } from '../../functions/pipelines/generators.js';
import { pipelineNames } from '../../functions/pipelines/index.js';
import { type Command, UsageError } from '../cli/command.js';
import { existingFile, parseCount, parseOptions, parseStage, parseTransport } from '../cli/parse-options.js';
import { INPUT_FORMATS } from '../runtime/start/input.js';
import { notARunFolder, stageMismatch, transportMismatch } from '../runtime/start/run-folder.js';
import { runStart } from '../runtime/start/run-start.js';
import { notInApp } from '../runtime/synth/app-pipelines.js';

/** Default event count: about a minute's run, as LocalStack's kinesis-mock takes a few hundred records/s here. */
export const DEFAULT_EVENTS = 20_000;

const usage = `Usage: tributary start [options]   (npm start -- [options])

Runs the synthesized app locally against LocalStack: starts or reuses LocalStack (and Kafka for
--transport msk), synthesizes the CDK app when infra/ or functions/ changed since cdk.out,
provisions the template's streams, buckets and queues, runs the pipeline's event source mapping, its
Lambda functions, the Firehose delivery streams and the idle-flush schedule, produces events, then
prints the top windows, the warehouse objects and the reconciliation of the warehouse against the
ground truth. Exit 0 only when they match.

Options:
  --pipeline <name>   ${pipelineNames.join(' | ')} (default taxi-rides)
  --events <n>        events to generate (default ${DEFAULT_EVENTS}: about a minute, as LocalStack's
                      Kinesis takes a few hundred records a second)
  --rate <n>          PutRecords pace, events/s (default 0: as fast as the stream takes them)
  --duration <s>      spread the events (or the --input file's) over about this many seconds
  --seed <n>          generator seed (default 1)
  --input <file>      replay a file instead: JSON lines, CSV or TSV with a header row (the NASA access
                      log TSV for web-access-logs), or raw lines for the pipeline's decoder (e.g. an
                      access log for web-access-logs)
  --run <dir>         resume a run folder (.local/runs/<id>; the latest run of its pipeline and stage):
                      same input, checkpoints kept
  --keep-running      after catching up, keep the runtime up until Ctrl-C (then flush and reconcile)
  --stage <name>      synthesize another stage than cdk.json's into .local/cdk.out-<name>: its own
                      stream, bucket and queue names (the e2e tests run with --stage e2e)
  --transport <kind>  kinesis (default) or msk: the app synthesized with -c transport=msk, its
                      topic on the local Kafka broker, the aggregator fed by the MSK event source
                      mapping and the raw copy by an MSK-sourced Firehose stream

The run folder .local/runs/<id>/ keeps the input (input.jsonl), the producer position, the event
source mapping and Firehose checkpoints, the functions' logs (lambda.log) and summary.json.

Environment:
  TRIBUTARY_LOCALSTACK_ENDPOINT   a LocalStack to use that tributary neither starts nor stops
                                  (default: the one \`tributary services up\` manages)
  TRIBUTARY_FAULTS   tests only: JSON {"crashOn":[n],"hangOn":[n],"afterMs":ms,"timeoutSeconds":s,
                     "crashAfterResults":true}: kills or hangs the aggregator's execution environment
                     at invocation n (or once its results are delivered); local/runtime/start/README.md

Examples:
  npm start
  npx tributary start --pipeline web-access-logs --input ../shared/data/nasa-access-aug95-100.log
  npx tributary start --pipeline web-access-logs --input ../shared/data/nasa-access-19950801-2000.tsv
  npx tributary start --events 500 --rate 100
  npx tributary start --run .local/runs/20261123T120000-taxi-rides-4242`;

const faultsSchema = z.object({
  crashOn: z.array(z.number().int().positive()).optional(),
  hangOn: z.array(z.number().int().positive()).optional(),
  crashAfterResults: z.boolean().optional(),
  afterMs: z.number().int().nonnegative().optional(),
  timeoutSeconds: z.number().int().positive().optional(),
});

function readFaults(text: string | undefined) {
  if (!text) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`TRIBUTARY_FAULTS: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = faultsSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`TRIBUTARY_FAULTS: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** `tributary start` (`npm start`): the whole pipeline locally, with a reconciliation. */
export const startCommand: Command = {
  name: 'start',
  summary: 'run a pipeline end to end on LocalStack and reconcile the warehouse with the ground truth',
  usage,
  async run(argv) {
    const { values } = parseOptions('start', argv, {
      pipeline: { type: 'string' },
      events: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      input: { type: 'string' },
      run: { type: 'string' },
      'keep-running': { type: 'boolean' },
      stage: { type: 'string' },
      transport: { type: 'string' },
    });
    const pipeline = values.pipeline ?? 'taxi-rides';
    if (!pipelineNames.includes(pipeline)) {
      throw new UsageError(
        `--pipeline must be one of ${pipelineNames.join(', ')} (given ${JSON.stringify(pipeline)})`,
      );
    }
    // Zero events would reconcile nothing against nothing and report MATCH: a success that says nothing.
    const events = parseCount('events', values.events, DEFAULT_EVENTS, 1);
    const duration = parseCount('duration', values.duration, 0);
    const rate = parseCount('rate', values.rate, 0);
    if (duration > 0 && values.rate !== undefined)
      throw new UsageError('give --rate or --duration, not both');
    // A file sets its own count: --events would be ignored.
    if (values.input !== undefined && values.events !== undefined)
      throw new UsageError('give --events or --input, not both');
    if (values.input === undefined && values.run === undefined && !generatorNames.includes(pipeline))
      throw new UsageError(new NoGeneratorError(pipeline, generatorNames).message);
    const missing = values.run === undefined ? notInApp(pipeline) : undefined;
    if (missing) throw new UsageError(missing);
    const runFixes = ['pipeline', 'events', 'input', 'rate', 'duration', 'seed'] as const;
    if (values.run && runFixes.some((option) => values[option] !== undefined)) {
      throw new UsageError(
        '--run resumes a run folder as it was: do not combine it with --pipeline, --events, --input, --rate, --duration or --seed',
      );
    }
    const transport = parseTransport(values.transport);
    const stage = parseStage(values.stage);
    if (values.input) existingFile('input', values.input, INPUT_FORMATS);
    const runProblem =
      values.run === undefined
        ? undefined
        : (notARunFolder(values.run) ??
          stageMismatch(values.run, stage) ??
          transportMismatch(values.run, transport));
    if (runProblem !== undefined) throw new UsageError(runProblem);
    const faults = readFaults(process.env.TRIBUTARY_FAULTS);
    return runStart({
      pipeline,
      events,
      rate,
      durationSeconds: duration,
      seed: parseCount('seed', values.seed, 1),
      input: values.input,
      run: values.run,
      keepRunning: values['keep-running'] ?? false,
      stage,
      transport,
      faults,
    });
  },
};
