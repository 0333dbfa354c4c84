import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `attempt` until `done` says its accumulated result is complete or the deadline passes;
 * then returns what it has, so the assertion shows how far it got instead of a bare timeout.
 */
export async function pollUntil<T>(
  attempt: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 200 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await attempt();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await attempt();
  }
  return value;
}
