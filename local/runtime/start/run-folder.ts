import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { stateDir } from '../../tools/state-dir.js';

/** How a run was asked for; stored in `<run>/run.json` so `--run <dir>` resumes it exactly as asked. */
export const runSpecSchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  events: z.number().int().nonnegative(),
  /** Wall-clock PutRecords pace, events/s; 0 = as fast as the stream takes them. */
  rate: z.number().nonnegative(),
  seed: z.number().int(),
  input: z.string().nullable(),
  stage: z.string().nullable().default(null),
  /** What carries the events (`--transport`); runs made before it existed were Kinesis runs. */
  transport: z.enum(['kinesis', 'msk']).default('kinesis'),
  createdAt: z.string(),
});
export type RunSpec = z.output<typeof runSpecSchema>;

/** The producer's position: input lines [0, sent) are settled; `pending` was in flight when it stopped. */
export const producerStateSchema = z.object({
  sent: z.number().int().nonnegative(),
  /** Records of [0, sent) that the stream holds (valid, accepted). */
  accepted: z.number().int().nonnegative(),
  pending: z.object({ from: z.number().int(), to: z.number().int(), records: z.number().int() }).nullable(),
});
export type ProducerState = z.output<typeof producerStateSchema>;

/** The files of one run folder. */
export interface RunFolder {
  readonly dir: string;
  readonly spec: string;
  /** The produced input, one `{"text","arrivalMs"}` per line, in production order. */
  readonly input: string;
  readonly producer: string;
  readonly esmCheckpoints: string;
  readonly lambdaLogs: string;
  readonly summary: string;
}

export function runFolder(dir: string): RunFolder {
  return {
    dir,
    spec: join(dir, 'run.json'),
    input: join(dir, 'input.jsonl'),
    producer: join(dir, 'producer.json'),
    esmCheckpoints: join(dir, 'esm-checkpoints.json'),
    lambdaLogs: join(dir, 'lambda.log'),
    summary: join(dir, 'summary.json'),
  };
}

/** A new run folder `.local/runs/<timestamp>-<pipeline>-<pid>/`. */
export function newRunFolder(pipeline: string, now = new Date()): RunFolder {
  const id = `${now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${pipeline}-${process.pid}`;
  const dir = join(stateDir(), 'runs', id);
  mkdirSync(dir, { recursive: true });
  return runFolder(dir);
}

/** Why `dir` cannot be given to `--run` (it has no run.json), or undefined when it can. */
export function notARunFolder(dir: string): string | undefined {
  const { spec } = runFolder(resolve(dir));
  return existsSync(spec)
    ? undefined
    : `--run ${dir}: not a run folder (expected ${spec}, which a run writes first)`;
}

/**
 * Why `--stage <stage>` cannot go with `--run <dir>`, or undefined when it can: a run is resumed on
 * the stage it was made on (another stage has other stream and bucket names).
 */
export function stageMismatch(dir: string, stage: string | undefined): string | undefined {
  if (stage === undefined) return undefined;
  const made = runSpecOf(dir).stage;
  if (made === stage) return undefined;
  return made === null
    ? `--run ${dir} was made without --stage: give none (given --stage ${stage})`
    : `--run ${dir} was made with --stage ${made}: give that stage or none (given --stage ${stage})`;
}

/** The spec (run.json) of an existing run folder. */
export function runSpecOf(dir: string): RunSpec {
  return readJsonFile(existingRunFolder(dir).spec, runSpecSchema);
}

/** Why `--transport` cannot go with `--run <dir>` (the run was made with another), or undefined. */
export function transportMismatch(dir: string, transport: string | undefined): string | undefined {
  if (transport === undefined) return undefined;
  const made = runSpecOf(dir).transport;
  return made === transport
    ? undefined
    : `--run ${dir} was made with --transport ${made}: give that transport or none (given --transport ${transport})`;
}

/** An existing run folder (`--run`); throws when it has no run.json. */
export function existingRunFolder(dir: string): RunFolder {
  const problem = notARunFolder(dir);
  if (problem !== undefined) throw new Error(problem);
  return runFolder(resolve(dir));
}

/** Writes JSON through a temporary file and a rename: a killed process never leaves half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export function readJsonFile<S extends z.ZodType>(path: string, schema: S): z.output<S> {
  const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: unexpected content: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
