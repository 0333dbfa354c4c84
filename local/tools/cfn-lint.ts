import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { ensureVenv } from './python-venv.js';
import { stateDir } from './state-dir.js';

const execFileAsync = promisify(execFile);

/** The cfn-lint release the project checks its templates with (PyPI). */
export const CFN_LINT_VERSION = '1.58.0';

/** One cfn-lint finding, as its JSON formatter prints it. */
export interface CfnLintFinding {
  readonly rule: string;
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly message: string;
  readonly file: string;
  readonly line: number;
}

const findingSchema = z.object({
  Rule: z.object({ Id: z.string() }),
  Level: z.enum(['Error', 'Warning', 'Informational']),
  Message: z.string(),
  Filename: z.string(),
  Location: z.object({ Start: z.object({ LineNumber: z.number() }) }),
});

/**
 * Installs cfn-lint into `.local/venvs/cfn-lint` (once) and returns its executable. Test files run
 * in parallel workers: a lock folder keeps two of them from pip-installing into one venv at once.
 */
export function ensureCfnLint(log: (line: string) => void = () => {}): string {
  const lock = join(stateDir(), 'venvs', 'cfn-lint.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error: unknown) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
      // A lock older than the wait is left by a killed install: take it over.
      if (Date.now() > deadline || Date.now() - statSync(lock).mtimeMs > LOCK_WAIT_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    const venv = ensureVenv({ name: 'cfn-lint', requirements: [`cfn-lint==${CFN_LINT_VERSION}`] }, log);
    return join(venv, 'bin', 'cfn-lint');
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const LOCK_WAIT_MS = 5 * 60_000;

/**
 * Lints CloudFormation templates and returns every finding. cfn-lint exits non-zero whenever it
 * finds anything (2 errors, 4 warnings, 8 informational), so the exit code is not treated as a
 * failure: only output that is not the expected JSON is.
 */
export async function runCfnLint(
  templates: readonly string[],
  options: { readonly ignoreChecks?: readonly string[]; readonly regions?: readonly string[] } = {},
): Promise<CfnLintFinding[]> {
  const executable = ensureCfnLint();
  const args = ['--format', 'json'];
  if (options.regions?.length) args.push('--regions', ...options.regions);
  if (options.ignoreChecks?.length) args.push('--ignore-checks', ...options.ignoreChecks);
  args.push('--', ...templates);
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(executable, args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error: unknown) {
    const failed = z.object({ stdout: z.string(), stderr: z.string(), code: z.number() }).safeParse(error);
    if (!failed.success || failed.data.code >= 32) throw error;
    stdout = failed.data.stdout;
  }
  const parsed = z.array(findingSchema).safeParse(JSON.parse(stdout.trim() === '' ? '[]' : stdout));
  if (!parsed.success) {
    throw new Error(`cfn-lint printed JSON of an unexpected shape: ${parsed.error.message}`);
  }
  return parsed.data.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    message: f.Message,
    file: f.Filename,
    line: f.Location.Start.LineNumber,
  }));
}
