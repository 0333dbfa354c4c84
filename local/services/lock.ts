import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthTimeoutError } from './errors.js';
import { isAlive } from './process.js';

/** A lock file taken by this process (`release` removes it), or what holds it: a pid, or '' while being written. */
export type LockAttempt = { readonly release: () => void } | { readonly holder: string };

/**
 * Tries once to take a lock file holding this process's pid. A lock left by a process that is
 * gone is taken over; one held by a live process (or being written this very moment) is not.
 */
export function tryLock(path: string): LockAttempt {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return { release: () => rmSync(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = safeRead(path);
    const pid = Number(holder);
    // An empty file is a lock being written this very moment, not a stale one.
    if (holder === '' || (Number.isInteger(pid) && pid > 0 && isAlive(pid))) return { holder };
    rmSync(path, { force: true });
  }
  // Another process took it over between our removal and our second try.
  return { holder: safeRead(path) };
}

/**
 * Runs `fn` while holding a lock file, so two `up`s (two test runs in one checkout, or a test run
 * and the CLI) never start the same service twice. Waits for a live holder until `timeoutMs`.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempt = tryLock(path);
    if ('release' in attempt) {
      try {
        return await fn();
      } finally {
        attempt.release();
      }
    }
    if (Date.now() >= deadline) {
      throw new HealthTimeoutError(
        `${path} is held by pid ${attempt.holder} for more than ${timeoutMs / 1000} s`,
      );
    }
    await sleep(250);
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
