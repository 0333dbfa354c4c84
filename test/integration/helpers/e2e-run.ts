import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../local/tools/state-dir.js';
import { pollUntil } from './poll.js';

/** The e2e tests' stage: its own stream, bucket and queue names, apart from a developer's `dev`. */
export const E2E_STAGE = 'e2e';

/** A `tributary start` child process and what it printed. */
export interface StartedRun {
  readonly done: Promise<RunResult>;
  /** The run folder, once the run printed it. */
  folder(): string | undefined;
  /** What it printed to stderr so far (progress, notes). */
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  /**
   * Ctrl-C as a terminal sends it: SIGINT to the whole process group (the run and its Lambda
   * environments). Only for a run started with `ownProcessGroup`.
   */
  interrupt(): void;
}

export interface StartOptions {
  /** Runs it in a process group of its own, so {@link StartedRun.interrupt} reaches only it. */
  readonly ownProcessGroup?: boolean;
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

/** Starts `node bin/tributary.mjs <command> --stage e2e ...args` in the project. */
export function startCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: StartOptions = {},
): StartedRun {
  const child = spawn(process.execPath, ['bin/tributary.mjs', command, '--stage', E2E_STAGE, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
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
  const interrupt = () => {
    if (!options.ownProcessGroup || child.pid === undefined)
      throw new Error('interrupt needs ownProcessGroup');
    process.kill(-child.pid, 'SIGINT');
  };
  return { done, folder, stderr: () => stderr, kill: (signal) => child.kill(signal), interrupt };
}

/** Starts `node bin/tributary.mjs start --stage e2e ...args` in the project. */
export function startRun(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: StartOptions = {},
): StartedRun {
  return startCommand('start', args, env, options);
}

/** Runs `tributary start` to its end. */
export function runStart(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return startRun(args, env).done;
}

/** A failed run's output, for the assertion message. */
export function explain(result: RunResult): string {
  return `exit ${result.code} (${result.signal ?? 'no signal'})\n${result.stdout}\n${result.stderr.slice(-3000)}`;
}

/** How many events a run's producer has sent so far (its `producer.json`; 0 before it wrote one). */
export function producedSoFar(folder: string | undefined): number {
  const file = folder ? join(folder, 'producer.json') : undefined;
  if (!file || !existsSync(file)) return 0;
  return (JSON.parse(readFileSync(file, 'utf8')) as { sent: number }).sent;
}

/** SIGKILLs a run once its producer has sent `sent` events (as a crash would); resolves to its result. */
export async function killWhenProduced(run: StartedRun, sent: number): Promise<RunResult> {
  await pollUntil(
    async () => producedSoFar(run.folder()),
    (produced) => produced >= sent,
    { timeoutMs: 120_000 },
  );
  run.kill('SIGKILL');
  return run.done;
}
