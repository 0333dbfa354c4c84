import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { projectRoot, stateDir } from '../../../local/tools/state-dir.js';
import { uniqueName } from './unique.js';

/**
 * Runs `script` (TypeScript, run with tsx, from a file named after `fileNamePrefix`) in a child
 * process with `input` as JSON in CHILD_INPUT, waits for its first line on stdout (the child says
 * it is ready), SIGKILLs it as a crash would, and returns that line.
 */
export async function runUntilReadyThenKill(
  fileNamePrefix: string,
  script: string,
  input: unknown,
): Promise<string> {
  // Inside the project, so that the child resolves the project's packages.
  const file = join(stateDir(), `${uniqueName(fileNamePrefix)}.mts`);
  writeFileSync(file, script);
  onTestFinished(() => rmSync(file, { force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: projectRoot,
    env: { ...process.env, CHILD_INPUT: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolveLine(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${out}`)));
  });
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGKILL');
  await exited;
  return line;
}
