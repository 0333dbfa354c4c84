import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../local/tools/state-dir.js';

/** The e2e tests' stage: its own stream, bucket and queue names, apart from a developer's `dev`. */
export const E2E_STAGE = 'e2e';

/** A `tributary start` child process and what it printed. */
export interface StartedRun {
  readonly done: Promise<RunResult>;
  /** The run folder, once the run printed it. */
  folder(): string | undefined;
  kill(signal: NodeJS.Signals): void;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly folder: string | undefined;
  /** `<run>/summary.json`, when the run got that far. */
  readonly summary: Record<string, unknown> | undefined;
}

/** Starts `node bin/tributary.mjs start --stage e2e ...args` in the project. */
export function startRun(args: readonly string[], env: NodeJS.ProcessEnv = {}): StartedRun {
  const child = spawn(process.execPath, ['bin/tributary.mjs', 'start', '--stage', E2E_STAGE, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const folder = () => /(?:run|resuming) (\S+\/runs\/\S+):/.exec(stderr)?.[1];
  const done = new Promise<RunResult>((resolve) => {
    child.once('close', (code, signal) => {
      const dir = folder();
      const file = dir ? join(dir, 'summary.json') : undefined;
      const summary =
        file && existsSync(file)
          ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
          : undefined;
      resolve({ code, signal, stdout, stderr, folder: dir, summary });
    });
  });
  return { done, folder, kill: (signal) => child.kill(signal) };
}

/** Runs `tributary start` to its end. */
export function runStart(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return startRun(args, env).done;
}

/** A failed run's output, for the assertion message. */
export function explain(result: RunResult): string {
  return `exit ${result.code} (${result.signal ?? 'no signal'})\n${result.stdout}\n${result.stderr.slice(-3000)}`;
}
