/**
 * How the benchmarks time their work. CPU time (user + system, all threads: GC included) is the
 * figure to compare on a shared, busy machine, where wall time also counts other processes' turns.
 */

/** A synchronous call's value and its CPU milliseconds. */
export function cpuTimed<T>(fn: () => T): [T, number] {
  const before = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(before);
  return [value, (used.user + used.system) / 1000];
}

/** Wall and CPU milliseconds of one (possibly asynchronous) call. */
export async function timed(work: () => unknown): Promise<{ readonly ms: number; readonly cpuMs: number }> {
  const start = performance.now();
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

/** The middle value (the upper one of an even count); NaN for none. */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;
}
