import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnLocalstackHost } from '../../../local/services/localstack.js';
import { filesystemRootSharingPackages } from '../../../local/services/localstack-env.js';
import { installLocalstack } from '../../../local/services/localstack-install.js';
import { isAlive, pidsWithCommandLine, stopGroup } from '../../../local/services/process.js';
import { stateDir } from '../../../local/tools/state-dir.js';

/** A LocalStack of the test's own: its port and files, the installed venv, restartable at will. */
export interface PrivateLocalstack {
  readonly endpoint: string;
  readonly dir: string;
  /** Kills it the hard way (SIGKILL, as a crash would) and starts it again, empty. */
  restart(): Promise<void>;
  /** Stops it and everything it started, and removes its files. */
  stop(): Promise<void>;
}

const log = (line: string) => console.error(`[private localstack] ${line}`);

/** A free port on 127.0.0.1, as the kernel hands one out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function killAll(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  while (pids.some(isAlive)) await sleep(100);
}

/**
 * Starts a LocalStack beside the shared one, never touching it: a free port, files in a folder
 * of its own under the state folder's tmp/, the venv and kinesis-mock the shared one installed.
 */
export async function startPrivateLocalstack(): Promise<PrivateLocalstack> {
  const python = await installLocalstack(log);
  mkdirSync(join(stateDir(), 'tmp'), { recursive: true });
  const dir = await mkdtemp(join(stateDir(), 'tmp', 'private-localstack-'));
  const files = {
    dir,
    filesystemRoot: filesystemRootSharingPackages(join(dir, 'filesystem')),
    logFile: join(dir, 'localstack.log'),
    pidFile: join(dir, 'localstack.pid'),
  };
  const port = await freePort();
  const start = () => spawnLocalstackHost({ python, port, files, timeoutMs: 120_000, log });
  let pid = (await start()).pid;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dir,
    async restart() {
      if (pid !== undefined) killGroup(pid);
      // LocalStack's own group is gone; its kinesis-mock (a group of its own) is not.
      await killAll(pidsWithCommandLine(dir));
      pid = (await start()).pid;
    },
    async stop() {
      if (pid !== undefined) await stopGroup(pid, 5_000);
      await killAll(pidsWithCommandLine(dir));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
