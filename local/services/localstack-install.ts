import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureVenv } from '../tools/python-venv.js';
import { LOCALSTACK_HOST_VERSION, localstackConstraintsFile } from './config.js';
import { PrerequisiteError } from './errors.js';
import { localstackEnv, localstackFilesystemRoot } from './localstack-env.js';
import { run } from './run.js';

/** A progress line for the person waiting. */
export type Log = (line: string) => void;

/**
 * Installs what LocalStack's host mode needs, each step skipped when already done: the virtualenv
 * with LocalStack's own pins, the Python 3.11 fix, and kinesis-mock (so the first Kinesis call
 * does not wait for npm). Returns the venv's Python interpreter.
 */
export async function installLocalstack(log: Log): Promise<string> {
  const constraintsFile = localstackConstraintsFile();
  if (!existsSync(constraintsFile)) {
    throw new PrerequisiteError(
      `LocalStack's pins are expected at ${constraintsFile} (part of the repository); it is missing`,
    );
  }
  const venv = ensureVenv(
    {
      name: 'localstack',
      requirements: [`localstack-core[runtime]==${LOCALSTACK_HOST_VERSION}`],
      constraintsFile,
    },
    log,
  );
  const python = join(venv, 'bin', 'python');
  patchForPython311(venv, log);
  await installKinesisMock(python, log);
  return python;
}

/**
 * LocalStack 4.13.1 parses on Python 3.11 but one annotation, `install_lock: Lock | None`, is
 * evaluated at import time and fails there (`threading.Lock` is a function before 3.13): every
 * package install, kinesis-mock's included, dies with a TypeError. Quoting the annotation changes
 * nothing else; the edit is idempotent and happens again whenever the venv is rebuilt.
 */
export function patchForPython311(venv: string, log: Log): void {
  const libs = join(venv, 'lib');
  for (const python of existsSync(libs) ? readdirSync(libs) : []) {
    const file = join(libs, python, 'site-packages', 'localstack', 'packages', 'api.py');
    if (!existsSync(file)) continue;
    const source = readFileSync(file, 'utf8');
    const patched = source.replace('install_lock: Lock | None = None', 'install_lock: "Lock | None" = None');
    if (patched !== source) {
      writeFileSync(file, patched);
      log(`patched ${file} for Python 3.11 (quoted the Lock | None annotation)`);
    }
  }
}

/**
 * Lets LocalStack's own package manager install kinesis-mock (the `kinesis-local` npm package)
 * where its runtime will look for it, ahead of the first Kinesis call.
 */
async function installKinesisMock(python: string, log: Log): Promise<void> {
  const script = [
    'from localstack.services.kinesis.packages import kinesismock_package as p',
    'installer = p.get_installer()',
    'done = installer.is_installed()',
    'p.install()',
    'print(("present " if done else "installed ") + installer.get_executable_path())',
  ].join('\n');
  const env = localstackEnv({ port: 0, filesystemRoot: localstackFilesystemRoot() });
  const { stdout } = await run(python, ['-c', script], { env, timeoutMs: 300_000 });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (line.startsWith('installed')) log(`kinesis-mock ${line}`);
}
