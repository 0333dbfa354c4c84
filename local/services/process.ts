import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A long-running service process to start in the background. */
export interface DetachedSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  readonly pidFile: string;
}

/**
 * Starts a process in its own process group, detached from the CLI, with its output going to a
 * log file (not a pipe: a pipe would break when the CLI exits). Writes and returns its pid.
 */
export function spawnDetached(spec: DetachedSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** True when a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readProc(pid, 'stat');
  // Field 3 of /proc/<pid>/stat is the state; Z is a zombie that only waits for its parent.
  return stat === undefined || !/^\d+ \(.*\) Z/.test(stat);
}

/** The command line of a process, or undefined when it is gone (Linux /proc; elsewhere undefined). */
export function commandLine(pid: number): string | undefined {
  return readProc(pid, 'cmdline')?.replaceAll('\0', ' ').trim();
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Pids of live processes (this one excepted) whose command line contains `text`, e.g. a folder
 * only one service's programs run from (Linux /proc; elsewhere none). LocalStack starts
 * kinesis-mock in a process group of its own, so a LocalStack killed with SIGKILL leaves it
 * running: it is found by its path under LocalStack's filesystem root.
 */
export function pidsWithCommandLine(text: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => commandLine(Number(entry))?.includes(text) ?? false)
    .map(Number);
}

/** Reads a pid file; undefined when it is missing or does not hold a pid. */
export function readPidFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/**
 * Is `pid` still the process we started? Pids are reused, so a live pid is only ours when its
 * command line still contains the marker (e.g. `kafka.Kafka`).
 */
export function isOurs(pid: number | undefined, marker: string): pid is number {
  if (pid === undefined || !isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === undefined || cmd.includes(marker);
}

/**
 * Stops the process group led by `pid`: SIGTERM, then SIGKILL after `graceMs`. Only groups we
 * started are passed here, so children (LocalStack's kinesis-mock) go with their parent.
 * Resolves to true when the leader is gone.
 */
export async function stopGroup(pid: number, graceMs = 15_000): Promise<boolean> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) && !groupAlive(pid)) return true;
    await sleep(200);
  }
  signalGroup(pid, 'SIGKILL');
  await sleep(500);
  return !isAlive(pid);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already; the leader alone may remain if it changed group
    try {
      process.kill(pid, signal);
    } catch {
      // gone as well
    }
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes a pid file, ignoring a missing one. */
export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

/**
 * Runs a health wait for a process just started; when it fails, stops the process (a half-started
 * service would otherwise hold the port and be "reused" by the next `up`) and rethrows.
 */
export async function stopIfUnhealthy<T>(
  pid: number,
  pidFilePath: string,
  wait: () => Promise<T>,
): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    await stopGroup(pid, 5_000);
    removePidFile(pidFilePath);
    throw error;
  }
}
