import { spawn } from 'node:child_process';
import { CommandFailedError, PrerequisiteError } from './errors.js';

/** Options of a short-lived child command (an installer, a formatter, a version probe). */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Receives each output line as it comes, e.g. to show install progress. */
  readonly onLine?: (line: string) => void;
  readonly timeoutMs?: number;
}

/** What a finished command printed. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion. A failure throws CommandFailedError with the exit status and the
 * end of its output, since that is where installers say what went wrong; a missing program throws
 * PrerequisiteError.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    const forward = (chunk: Buffer, sink: 'out' | 'err') => {
      const text = chunk.toString('utf8');
      if (sink === 'out') stdout += text;
      else stderr += text;
      if (options.onLine) for (const line of text.split('\n')) if (line.trim()) options.onLine(line);
    };
    child.stdout.on('data', (chunk: Buffer) => forward(chunk, 'out'));
    child.stderr.on('data', (chunk: Buffer) => forward(chunk, 'err'));
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new PrerequisiteError(`${command} is not installed or not on PATH`)
          : new CommandFailedError(`${command} could not run: ${error.message}`),
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve({ stdout, stderr });
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n');
      const status = signal ? `was killed by ${signal}` : `exited with ${code}`;
      reject(new CommandFailedError(`${command} ${args.join(' ')} ${status}:\n${tail}`));
    });
  });
}
