/**
 * `npm run bench [-- <name filter>]`: runs every `bench/*.ts` module's exported `benchmarks` and
 * prints one table. `BENCH_SCALE` (default 1) shrinks or grows the sizes for a quick run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One measured figure. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** How to read the figure (e.g. the goal it is measured against). */
  readonly note?: string;
}

/** A benchmark: a name and a function that measures and returns its figures. */
export interface Benchmark {
  readonly name: string;
  run(scale: number): Promise<readonly BenchRow[]> | readonly BenchRow[];
}

function scaleFromEnv(): number {
  const raw = process.env.BENCH_SCALE ?? '1';
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new Error(`BENCH_SCALE must be a number > 0 (given ${JSON.stringify(raw)})`);
  }
  return scale;
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(3);
}

function printTable(rows: readonly (BenchRow & { benchmark: string })[]): void {
  const cells = rows.map((r) => [r.benchmark, r.metric, format(r.value), r.unit, r.note ?? '']);
  const header = ['benchmark', 'metric', 'value', 'unit', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) =>
    c
      .map((v, i) => (i === 2 ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const scale = scaleFromEnv();
  const filter = process.argv[2];
  const here = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .sort();
  const rows: (BenchRow & { benchmark: string })[] = [];
  for (const file of files) {
    const module: { benchmarks?: readonly Benchmark[] } = await import(pathToFileURL(join(here, file)).href);
    for (const benchmark of module.benchmarks ?? []) {
      if (filter !== undefined && !benchmark.name.includes(filter)) continue;
      console.error(`running ${benchmark.name} (scale ${scale})...`);
      for (const row of await benchmark.run(scale)) rows.push({ benchmark: benchmark.name, ...row });
    }
  }
  console.log(`\nnode ${process.version}, BENCH_SCALE=${scale}\n`);
  printTable(rows);
}

await main();
