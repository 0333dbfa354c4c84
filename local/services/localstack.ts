import { z } from 'zod';
import { HOST, LOCALSTACK_SERVICES, logFile, pidFile, serviceDir } from './config.js';
import { getJson, waitFor } from './health.js';
import { localstackEnv, localstackFilesystemRoot } from './localstack-env.js';
import { installLocalstack, type Log } from './localstack-install.js';
import { isAlive, spawnDetached, stopIfUnhealthy } from './process.js';
import type { LocalstackState } from './state-file.js';

/** Found in the command line of the LocalStack runtime: tells our process from a reused pid. */
export const LOCALSTACK_MARKER = 'localstack.runtime.main';

const healthSchema = z.object({
  services: z.record(z.string(), z.string()),
  version: z.string(),
});

/** What `/_localstack/health` says when every wanted service can answer. */
export interface LocalstackHealth {
  readonly version: string;
  readonly services: Record<string, string>;
}

/**
 * Asks LocalStack's health endpoint; resolves to undefined until each of `services` is
 * `available` (not loaded yet, loads on first call) or `running`.
 */
export async function localstackHealth(
  endpoint: string,
  services: readonly string[] = LOCALSTACK_SERVICES,
): Promise<LocalstackHealth | undefined> {
  const health = healthSchema.parse(await getJson(`${endpoint}/_localstack/health`));
  const ready = services.every((s) => ['available', 'running'].includes(health.services[s] ?? ''));
  return ready ? health : undefined;
}

/**
 * kinesis-mock starts on the first Kinesis call (about 4 s); paying that during `up` keeps the
 * first test's deadline honest. Any signed-looking request will do: LocalStack does not verify.
 */
export async function warmUpKinesis(endpoint: string): Promise<true | undefined> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'Kinesis_20131202.ListStreams',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: '{}',
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok)
    throw new Error(`Kinesis ListStreams answered ${response.status}: ${await response.text()}`);
  return true;
}

/** Where one LocalStack host process keeps its files. */
export interface LocalstackHostFiles {
  /** Its working directory. */
  readonly dir: string;
  /** LocalStack's FILESYSTEM_ROOT: packages (kinesis-mock), state, temporary files. */
  readonly filesystemRoot: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/** The files of the LocalStack that `tributary services up` manages: `.local/localstack/`. */
export function managedLocalstackFiles(): LocalstackHostFiles {
  return {
    dir: serviceDir('localstack'),
    filesystemRoot: localstackFilesystemRoot(),
    logFile: logFile('localstack'),
    pidFile: pidFile('localstack'),
  };
}

/** Starts LocalStack's runtime on the host (installing it first) and waits until it serves Kinesis. */
export async function startLocalstackHost(
  port: number,
  timeoutMs: number,
  log: Log,
): Promise<LocalstackState> {
  const python = await installLocalstack(log);
  return spawnLocalstackHost({ python, port, files: managedLocalstackFiles(), timeoutMs, log });
}

/**
 * Starts an installed LocalStack runtime (`python`: the venv's interpreter) on `port` with the
 * given files, in its own process group, and waits until it serves Kinesis. The tests start a
 * private instance with this (own port and files, the installed venv) to restart it at will.
 */
export async function spawnLocalstackHost(options: {
  readonly python: string;
  readonly port: number;
  readonly files: LocalstackHostFiles;
  readonly timeoutMs: number;
  readonly log: Log;
}): Promise<LocalstackState> {
  const { files, log } = options;
  const endpoint = `http://${HOST}:${options.port}`;
  const started = Date.now();
  const pid = spawnDetached({
    command: options.python,
    args: ['-m', LOCALSTACK_MARKER],
    cwd: files.dir,
    env: localstackEnv({ port: options.port, filesystemRoot: files.filesystemRoot }),
    logFile: files.logFile,
    pidFile: files.pidFile,
  });
  log(`localstack: started pid ${pid}, waiting for ${endpoint}/_localstack/health`);
  const state = await stopIfUnhealthy(pid, files.pidFile, () =>
    waitForLocalstack(endpoint, options.timeoutMs, pid, files.logFile),
  );
  log(`localstack: ${state.version} healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    ...state,
    mode: 'host',
    pid,
    logFile: files.logFile,
    startedAt: new Date(started).toISOString(),
  };
}

/** Waits for health and Kinesis; gives up early when the process we watch has died. */
export async function waitForLocalstack(
  endpoint: string,
  timeoutMs: number,
  pid?: number,
  logPath = logFile('localstack'),
): Promise<Pick<LocalstackState, 'endpoint' | 'version' | 'services'>> {
  const abortIf = () =>
    pid !== undefined && !isAlive(pid) ? `the process exited; see ${logPath}` : undefined;
  const deadline = Date.now() + timeoutMs;
  const health = await waitFor(() => localstackHealth(endpoint), { what: 'localstack', timeoutMs, abortIf });
  await waitFor(() => warmUpKinesis(endpoint), {
    what: 'localstack kinesis',
    timeoutMs: Math.max(deadline - Date.now(), 30_000),
    intervalMs: 500,
    abortIf,
  });
  return { endpoint, version: health.version, services: [...LOCALSTACK_SERVICES] };
}
