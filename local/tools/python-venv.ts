import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from './state-dir.js';

/** What a virtualenv must contain: pip requirement specifiers and an optional constraints file. */
export interface VenvSpec {
  /** Folder name under `.local/venvs/`. */
  readonly name: string;
  readonly requirements: readonly string[];
  readonly constraintsFile?: string;
}

/** Python 3.11+ is required; names the interpreter to use or explains what to install. */
export function findPython(): string {
  for (const candidate of [
    process.env.TRIBUTARY_PYTHON,
    'python3.11',
    'python3.12',
    'python3.13',
    'python3',
  ]) {
    if (!candidate) continue;
    try {
      const version = execFileSync(candidate, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major === 3 && minor >= 11) return candidate;
    } catch {
      // not installed under this name: try the next one
    }
  }
  throw new Error(
    'Python 3.11 or newer is required (with the venv module) to run LocalStack and cfn-lint on the host. ' +
      'Install it (Debian: `apt-get install python3 python3-venv`) or set TRIBUTARY_PYTHON to its path.',
  );
}

/**
 * Creates or reuses `.local/venvs/<name>` with the given requirements installed. A marker file
 * holds a hash of the spec, so a changed pin reinstalls and an unchanged one costs nothing.
 * Returns the venv's folder; its interpreter is `<folder>/bin/python`.
 */
export function ensureVenv(spec: VenvSpec, log: (line: string) => void = () => {}): string {
  const dir = join(stateDir(), 'venvs', spec.name);
  const constraints = spec.constraintsFile ? readFileSync(spec.constraintsFile, 'utf8') : '';
  const digest = createHash('sha256')
    .update(JSON.stringify(spec.requirements))
    .update(constraints)
    .digest('hex');
  const marker = join(dir, '.tributary-spec');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) return dir;

  mkdirSync(dir, { recursive: true });
  log(`creating Python virtualenv ${dir} (${spec.requirements.join(' ')})`);
  execFileSync(findPython(), ['-m', 'venv', dir], { stdio: 'inherit' });
  const pip = join(dir, 'bin', 'pip');
  const constraintArgs = spec.constraintsFile ? ['-c', spec.constraintsFile] : [];
  execFileSync(
    pip,
    ['install', '--disable-pip-version-check', '-q', ...constraintArgs, ...spec.requirements],
    {
      stdio: 'inherit',
    },
  );
  writeFileSync(marker, digest);
  return dir;
}
