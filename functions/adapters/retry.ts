/** Bounded exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export interface BackoffOptions {
  /** Attempts in total, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** @default 50 */
  readonly baseDelayMs?: number;
  /** @default 2000 */
  readonly maxDelayMs?: number;
  /** Injectable for tests and benchmarks. @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests. @default Math.random */
  readonly random?: () => number;
}

export interface ResolvedBackoff {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Fills in the defaults; rejects settings that cannot work. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const resolved = {
    maxAttempts: 5,
    baseDelayMs: 50,
    maxDelayMs: 2000,
    sleep: realSleep,
    random: Math.random,
    ...options,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a whole number >= 1 (given ${resolved.maxAttempts})`);
  }
  if (!(resolved.baseDelayMs >= 0) || !(resolved.maxDelayMs >= resolved.baseDelayMs)) {
    throw new RangeError(
      `delays must satisfy 0 <= baseDelayMs <= maxDelayMs (given ${resolved.baseDelayMs}, ${resolved.maxDelayMs})`,
    );
  }
  return resolved;
}

/** Full jitter: a uniform delay in [0, min(max, base * 2^retry)). `retry` counts from 0. */
export function backoffDelay(backoff: ResolvedBackoff, retry: number): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** retry);
  return Math.floor(backoff.random() * ceiling);
}
