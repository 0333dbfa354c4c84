import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { ensureVenv } from './python-venv.js';

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

/** Installs cfn-lint into `.local/venvs/cfn-lint` (once) and returns its executable. */
export function ensureCfnLint(log: (line: string) => void = () => {}): string {
  const venv = ensureVenv({ name: 'cfn-lint', requirements: [`cfn-lint==${CFN_LINT_VERSION}`] }, log);
  return join(venv, 'bin', 'cfn-lint');
}

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
