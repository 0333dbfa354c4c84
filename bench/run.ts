/**
 * `npm run bench [-- <name filter>]`: runs every `bench/*.ts` module's exported `benchmarks` and
 * prints one table. `BENCH_SCALE` (default 1) shrinks or grows the sizes for a quick run.
 *
 * Each benchmark runs in a child process of its own (a fork, as JMH does): in one process a
 * benchmark would inherit the JIT feedback and the heap of the ones before it, and a figure would
 * depend on what ran first (hopping measured 0.45 after tumbling, 0.61 alone).
 */
import { fork } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { table } from '../local/tools/text-table.js';

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

/** What a child sends back: its benchmark's rows, or why it failed. */
type ChildReport = { readonly rows: readonly BenchRow[] } | { readonly error: string };

const CHILD_FLAG = '--benchmark';
const here = dirname(fileURLToPath(import.meta.url));

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
  console.log(table(['benchmark', 'metric', 'value', 'unit', 'note'], cells, { rightAligned: [2] }));
}

async function benchmarksOf(file: string): Promise<readonly Benchmark[]> {
  const module: { benchmarks?: readonly Benchmark[] } = await import(pathToFileURL(join(here, file)).href);
  return module.benchmarks ?? [];
}

/** Runs one benchmark in a fork of this script (same loader flags) and returns its rows. */
function runInChild(file: string, name: string): Promise<readonly BenchRow[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, file, name]);
    let report: ChildReport | undefined;
    child.on('message', (message: ChildReport) => {
      report = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report && 'rows' in report && code === 0) resolve(report.rows);
      else if (report && 'error' in report) reject(new Error(`${name} failed: ${report.error}`));
      else reject(new Error(`${name}: its process exited with ${signal ?? `code ${code}`} and no figures`));
    });
  });
}

/** In the child: runs the one benchmark named and sends its rows (or its error) to the parent. */
async function child(file: string, name: string): Promise<void> {
  const channel = process.send?.bind(process);
  if (!channel) throw new Error(`${CHILD_FLAG} is for the processes bench/run.ts forks`);
  const send = (report: ChildReport) =>
    new Promise<void>((resolve, reject) =>
      channel(report, undefined, {}, (error) => (error ? reject(error) : resolve())),
    );
  let code = 0;
  try {
    const benchmark = (await benchmarksOf(file)).find((b) => b.name === name);
    if (!benchmark) throw new Error(`no benchmark ${JSON.stringify(name)} in bench/${file}`);
    await send({ rows: await benchmark.run(scaleFromEnv()) });
  } catch (error) {
    await send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    code = 1;
  }
  // A benchmark may leave clients or sockets open: its figures are sent, so end here.
  process.exit(code);
}

async function main(): Promise<void> {
  const scale = scaleFromEnv();
  const filter = process.argv[2];
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .sort();
  const chosen: { file: string; name: string }[] = [];
  const names: string[] = [];
  for (const file of files) {
    for (const { name } of await benchmarksOf(file)) {
      names.push(name);
      if (filter === undefined || name.includes(filter)) chosen.push({ file, name });
    }
  }
  if (chosen.length === 0) {
    console.error(
      `usage: npm run bench [-- <name filter>]: no benchmark name contains ${JSON.stringify(filter)} (expected part of one of: ${names.join(', ')})`,
    );
    process.exitCode = 2;
    return;
  }
  const rows: (BenchRow & { benchmark: string })[] = [];
  for (const { file, name } of chosen) {
    console.error(`running ${name} (scale ${scale})...`);
    for (const row of await runInChild(file, name)) rows.push({ benchmark: name, ...row });
  }
  console.log(`\nnode ${process.version}, BENCH_SCALE=${scale}\n`);
  printTable(rows);
}

if (process.argv[2] === CHILD_FLAG) await child(process.argv[3] ?? '', process.argv[4] ?? '');
else await main();
