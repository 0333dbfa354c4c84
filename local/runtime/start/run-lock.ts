import { createHash } from 'node:crypto';
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

/**
 * Takes the lock of one `tributary start` per pipeline, stage and LocalStack, and returns its
 * release. A second run would reset the first one's stream and warehouse prefixes and read its
 * records (a false MISMATCH at best), so it is refused with the holder's pid instead. A lock left
 * by a process that is gone (SIGKILL) is taken over.
 */
export function takeRunLock(target: RunTarget): () => void {
  const id = createHash('sha256')
    .update(`${target.endpoint}|${target.stage ?? ''}|${target.pipeline}`)
    .digest('hex')
    .slice(0, 16);
  const path = join(stateDir(), 'runs', `.start-${id}.lock`);
  const attempt = tryLock(path);
  if ('release' in attempt) return attempt.release;
  const stage = target.stage ?? "cdk.json's stage";
  throw new RunFailedError(
    `another tributary start (pid ${attempt.holder || 'starting'}) is running ${target.pipeline} on ${stage} against ${target.endpoint}; two runs would reset and read each other's stream and warehouse. Wait for it to end, or use another --stage.`,
  );
}
