import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../services/process.js';
import { stateDir } from '../../tools/state-dir.js';
import { RunFailedError } from './run-failed-error.js';

/** What two runs must not share: a pipeline's stream, queue and warehouse prefixes in one LocalStack. */
export interface RunTarget {
  readonly endpoint: string;
  /** The stage (undefined: cdk.json's). */
  readonly stage: string | undefined;
  readonly pipeline: string;
}

function readHolder(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
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
  const dir = join(stateDir(), 'runs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `.start-${id}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    const pid = Number(holder);
    // An empty file is a lock being written this very moment by another run.
    if (holder === '' || (Number.isInteger(pid) && pid > 0 && isAlive(pid))) {
      const stage = target.stage ?? "cdk.json's stage";
      throw new RunFailedError(
        `another tributary start (pid ${holder || 'starting'}) is running ${target.pipeline} on ${stage} against ${target.endpoint}; two runs would reset and read each other's stream and warehouse. Wait for it to end, or use another --stage.`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new RunFailedError(`could not take the run lock ${path}`);
}
