import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthTimeoutError } from './errors.js';
import { isAlive } from './process.js';

/**
 * Runs `fn` while holding a lock file, so two `up`s (two test runs in one checkout, or a test run
 * and the CLI) never start the same service twice. A lock left by a dead process is taken over.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const content = safeRead(path);
      const holder = Number(content);
      // An empty file is a lock being written this very moment, not a stale one.
      if (content !== '' && (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder))) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new HealthTimeoutError(`${path} is held by pid ${holder} for more than ${timeoutMs / 1000} s`);
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
