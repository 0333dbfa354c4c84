import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../tools/state-dir.js';
import { SERVICE_NAMES } from './config.js';
import type { Log } from './localstack-install.js';
import { stopServices, type UpOutcome, up, withServicesLock } from './manager.js';
import { isAlive } from './process.js';
import { readState } from './state-file.js';

/**
 * Services for a test run. Several test runs may share one checkout (and its services) at once,
 * so each run holds a lease (a file named by its pid) while it uses them; the last run to leave
 * stops what test runs started, and never what a developer started with `tributary services up`.
 */
export async function acquireTestServices(
  log: Log,
  timeoutMs = 300_000,
  deps = { up, release: releaseTestServices },
): Promise<UpOutcome[]> {
  mkdirSync(leaseDir(), { recursive: true });
  writeFileSync(join(leaseDir(), String(process.pid)), new Date().toISOString());
  try {
    return await deps.up({ services: SERVICE_NAMES, mode: 'host', timeoutMs, log, startedBy: 'tests' });
  } catch (error) {
    // The run fails before vitest registers the teardown: what did start (LocalStack, when Kafka
    // would not) would outlive it. Seen in a CI run.
    await deps.release(log, false).catch(() => {});
    throw error;
  }
}

/** Ends this run's lease; stops the test-started services when no other live run holds one. */
export async function releaseTestServices(log: Log, keep: boolean): Promise<void> {
  rmSync(join(leaseDir(), String(process.pid)), { force: true });
  await withServicesLock(async () => {
    const others = liveLeases();
    const state = readState();
    const ours = SERVICE_NAMES.filter((name) => state[name]?.startedBy === 'tests');
    if (ours.length === 0) return;
    if (others.length > 0) {
      log(`leaving ${ours.join(', ')} running for the test run(s) of pid ${others.join(', ')}`);
    } else if (keep) {
      log(
        `TRIBUTARY_KEEP_SERVICES=1: leaving ${ours.join(', ')} running (stop: npx tributary services down)`,
      );
    } else {
      await stopServices(ours, log);
    }
  });
}

function leaseDir(): string {
  return join(stateDir(), 'test-leases');
}

/** Pids of test runs still alive; leases of dead runs (killed, crashed) are removed. */
function liveLeases(): number[] {
  const live: number[] = [];
  for (const entry of readdirSync(leaseDir())) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) live.push(pid);
    else rmSync(join(leaseDir(), entry), { force: true });
  }
  return live;
}
