import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { getGenerator } from '../../../functions/pipelines/generators.js';
import { UsageError } from '../../cli/command.js';
import { withoutByteOrderMark } from '../../tools/byte-order-mark.js';
import { tsvTexts } from './tsv-input.js';

/** One produced record: its payload text, its (simulated) arrival time and, from a file, its line. */
export interface InputRecord {
  readonly text: string;
  readonly arrivalMs: number;
  /** The line of the input file it came from (1-based), so a rejected record can be found. */
  readonly line?: number;
}

const inputLineSchema = z.object({ text: z.string(), arrivalMs: z.number(), line: z.number().optional() });

/** Where the demo's simulated clock starts: fixed, so a seed gives the same windows on any day. */
export const DEMO_START_MS = Date.UTC(2026, 0, 15, 8, 0, 0);
/** Simulated events per second of event time (the generators' Poisson rate). */
export const DEMO_EVENT_RATE = 5;

/** The pipeline's seeded generator, `count` records in arrival order. */
export function generatedInput(pipeline: string, count: number, seed: number): InputRecord[] {
  const out: InputRecord[] = [];
  const records = getGenerator(pipeline)({
    seed,
    count,
    startMs: DEMO_START_MS,
    ratePerSec: DEMO_EVENT_RATE,
  });
  for (const r of records) out.push({ text: r.text, arrivalMs: r.arrivalMs });
  return out;
}

function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

function csvValue(raw: string): unknown {
  if (raw === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) && /^-?[\d.]+(e-?\d+)?$/i.test(raw) ? n : raw;
}

/** The files `--input` takes, for messages that say what was expected (see detectFormat). */
export const INPUT_FORMATS = 'JSON lines, CSV, TSV or an access log';

/**
 * What kind of file `--input` is: JSON lines, CSV or TSV with a header row, or raw lines (access
 * logs). A TSV is known by its name or by a tab in its first line (access log lines have none).
 */
export function detectFormat(path: string, firstLine: string): 'jsonl' | 'csv' | 'tsv' | 'lines' {
  if (path.endsWith('.jsonl') || path.endsWith('.ndjson') || firstLine.trimStart().startsWith('{'))
    return 'jsonl';
  if (path.endsWith('.csv')) return 'csv';
  if (path.endsWith('.tsv') || firstLine.includes('\t')) return 'tsv';
  return 'lines';
}

/**
 * Reads `--input`: each JSONL line is one event's JSON text; a CSV row becomes a JSON object
 * (numbers as numbers, empty fields as null) keyed by the header; a TSV row likewise, except the
 * NASA access log TSV, which the web-access-logs pipeline's TSV reader turns into log entries
 * (see tsv-input.ts); any other line (an access log) is passed as is to the pipeline's decoder.
 * Arrival times are one millisecond apart from `startMs`. A run folder's own `input.jsonl` (beside
 * its run.json) repeats that run: the same texts with the same arrival times.
 */
export async function fileInput(path: string, startMs = Date.now()): Promise<InputRecord[]> {
  if (!existsSync(path)) throw new UsageError(`--input ${path}: no such file`);
  if (basename(path) === 'input.jsonl' && existsSync(join(dirname(path), 'run.json'))) {
    const saved = loadInput(path);
    if (saved.length === 0) throw new UsageError(`--input ${path}: no events in it`);
    return saved.map((r, i) => ({ text: r.text, arrivalMs: r.arrivalMs, line: i + 1 }));
  }
  const lines: string[] = [];
  const lineNumbers: number[] = [];
  let lineNumber = 0;
  for await (const line of createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    // Only the file's first line can start with a byte order mark; elsewhere U+FEFF is data.
    lineNumber += 1;
    const text = lineNumber === 1 ? withoutByteOrderMark(line) : line;
    if (text.trim() !== '') {
      lines.push(text);
      lineNumbers.push(lineNumber);
    }
  }
  const format = detectFormat(path, lines[0] ?? '');
  let texts = lines;
  // CSV and TSV turn every line after the header row into one record.
  const firstRecordLine = format === 'csv' || format === 'tsv' ? 1 : 0;
  if (format === 'tsv') texts = tsvTexts(lines, csvValue);
  if (format === 'csv') {
    const header = csvFields(lines[0] ?? '');
    texts = lines.slice(1).map((line) => {
      const values = csvFields(line);
      return JSON.stringify(Object.fromEntries(header.map((h, i) => [h, csvValue(values[i] ?? '')])));
    });
  }
  // Nothing produced, nothing to reconcile: `start` would report MATCH, a success that says nothing.
  if (texts.length === 0) {
    throw new UsageError(`--input ${path}: no events in it (blank, or a header row alone)`);
  }
  return texts.map((text, i) => ({ text, arrivalMs: startMs + i, line: lineNumbers[firstRecordLine + i] }));
}

/** Saves the input of a run (one JSON object per line) so the run can be inspected and repeated. */
export function saveInput(path: string, records: readonly InputRecord[]): void {
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : ''));
}

export function loadInput(path: string): InputRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const parsed = inputLineSchema.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new Error(`${path}:${i + 1}: expected {"text","arrivalMs"} (given ${line.slice(0, 80)})`);
      return parsed.data;
    });
}

/**
 * One line per distinct reason: how many records it rejected and where they are, by file line
 * (from --input) or by place among the generated events (1-based).
 */
export function rejectionLines(
  rejected: readonly { readonly index: number; readonly reason: string }[],
  input: readonly InputRecord[],
  fromFile: boolean,
): string[] {
  const byReason = new Map<string, number[]>();
  for (const r of rejected) {
    const place = input[r.index]?.line ?? r.index + 1;
    byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), place]);
  }
  return [...byReason].map(([reason, places]) => {
    // Schema errors span several lines: one line per reason, cut to stay readable.
    const oneLine = reason.replace(/\s*\n\s*/g, ' ');
    const shown = oneLine.length > 300 ? `${oneLine.slice(0, 300)}...` : oneLine;
    const list = places.slice(0, 5).join(', ') + (places.length > 5 ? ', ...' : '');
    return `  ${places.length} x ${shown} (${fromFile ? 'input lines' : 'events'} ${list})`;
  });
}
