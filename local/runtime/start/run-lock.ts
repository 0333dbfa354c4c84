import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryLock } from '../../services/lock.js';
import { stateDir } from '../../tools/state-dir.js';
import { RunFailedError } from './run-failed-error.js';

/** What two runs must not share: a pipeline's stream, queue and warehouse prefixes in one LocalStack. */
export interface RunTarget {
  readonly endpoint: string;
  /** The stage (undefined: cdk.json's). */
  readonly stage: string | undefined;
  readonly pipeline: string;
}

/** A short name for a target, for the files kept per target in `.local/runs/`. */
function targetId(target: RunTarget): string {
  return createHash('sha256')
    .update(`${target.endpoint}|${target.stage ?? ''}|${target.pipeline}`)
    .digest('hex')
    .slice(0, 16);
}

const latestRunFile = (target: RunTarget) => join(stateDir(), 'runs', `.latest-${targetId(target)}`);

/** Notes that run `runId` has just reset the target's stream and warehouse prefixes: it owns them now. */
export function markLatestRun(target: RunTarget, runId: string): void {
  mkdirSync(join(stateDir(), 'runs'), { recursive: true });
  writeFileSync(latestRunFile(target), runId);
}

/**
 * Refuses to resume run `runId` when a later run has reset the target since: its checkpoints
 * point into a stream that no longer holds its records (the resumed run would fail on every
 * shard, and look like a LocalStack restart). Runs from before this note was kept pass.
 */
export function assertLatestRun(target: RunTarget, runId: string, dir: string): void {
  const file = latestRunFile(target);
  const latest = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  if (latest === undefined || latest === runId) return;
  throw new RunFailedError(
    `--run ${dir}: a later run (${latest}) has reset ${target.pipeline}'s stream and warehouse prefixes since, so this run's checkpoints point at records that are gone; --run resumes only the latest run of a pipeline and stage. Start a new run.`,
  );
}

/**
 * Takes the lock of one `tributary start` per pipeline, stage and LocalStack, and returns its
 * release. A second run would reset the first one's stream and warehouse prefixes and read its
 * records (a false MISMATCH at best), so it is refused with the holder's pid instead. A lock left
 * by a process that is gone (SIGKILL) is taken over.
 */
export function takeRunLock(target: RunTarget): () => void {
  const path = join(stateDir(), 'runs', `.start-${targetId(target)}.lock`);
  const attempt = tryLock(path);
  if ('release' in attempt) return attempt.release;
  const stage = target.stage ?? "cdk.json's stage";
  throw new RunFailedError(
    `another tributary start (pid ${attempt.holder || 'starting'}) is running ${target.pipeline} on ${stage} against ${target.endpoint}; two runs would reset and read each other's stream and warehouse. Wait for it to end, or use another --stage.`,
  );
}
