import { setTimeout as sleep } from 'node:timers/promises';
import { StoppedError } from './errors.js';

/** Retry delays: `backoffBaseMs` first, doubling per attempt up to `maxBackoffMs`. */
export interface BackoffSettings {
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
}

/** Waits before retry `attempt` (1 for the first); rejects with StoppedError once `signal` aborts. */
export async function sleepBeforeRetry(
  attempt: number,
  settings: BackoffSettings,
  signal: AbortSignal,
): Promise<void> {
  const delayMs = Math.min(settings.maxBackoffMs, settings.backoffBaseMs * 2 ** (attempt - 1));
  try {
    await sleep(delayMs, undefined, { signal });
  } catch {
    throw new StoppedError('stopping');
  }
}

/**
 * Runs `action` until it succeeds, reporting each failure and waiting `wait(attempt)` before the
 * next try: for what must not be lost, such as an invocation record for the on-failure destination.
 */
export async function retryUntilDone(
  action: () => Promise<void>,
  reportFailure: (error: unknown) => void,
  wait: (attempt: number) => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await action();
      return;
    } catch (error) {
      reportFailure(error);
      await wait(attempt);
    }
  }
}
