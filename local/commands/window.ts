import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import { createWindowEngine, type EngineState } from '../../functions/core/index.js';
import {
  compileSpecAggregations,
  fieldPath,
  isNumeric,
  parseReplaySpec,
  type ReplaySpec,
} from '../../functions/core/spec-aggregations.js';
import type { EmitMode, LateRecord, WindowResult } from '../../functions/core/types.js';
import { type Command, UsageError } from '../cli/command.js';
import { parseOptions } from '../cli/parse-options.js';
import { withoutByteOrderMark } from '../tools/byte-order-mark.js';

const usage = `Usage: tributary window --spec <spec.json> [--emit final|updates] [--flush]

Replays JSON lines {"key": string, "ts": epoch ms, "value": any} from stdin through the event-time
windowing engine (one partition: one stream time) and prints, in emission order, one JSON line per
result {"key","windowStart","windowEnd","values"} ("values": null retracts a merged-away session in
updates mode) and per window a late record missed {"late":{"key","ts","value","windowStart","windowEnd","streamTime"}}.

Options:
  --spec <file>    {"window": W, "aggregations": {"<name>": {"fn": "count"} | {"fn": "sum"|"min"|"max"|"avg", "field"?: "a.b"}}}
                   W: {"type":"tumbling","sizeMs","graceMs"} | {"type":"hopping","sizeMs","advanceMs","graceMs"}
                      {"type":"sliding","timeDifferenceMs","graceMs"} | {"type":"session","gapMs","graceMs"}
                   no "field": the value itself (first, last and distinct are accepted too)
  --emit <mode>    final (default): each window once, when it closes; updates: after every change
  --flush          close every open window at end of input (otherwise only windows closed by stream time)

Bounds: tumbling and hopping windows are [windowStart, windowEnd); sliding windows include both
bounds (Kafka Streams); a session is [first record, last record]. Late lines carry the window missed.

Bad spec or bad input line: exit 2, saying which line and what is wrong.`;

const lineSchema = z.object({
  key: z.string(),
  ts: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  value: z.unknown().optional(),
});

/** Line number (1-based) of a character offset in text. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function readSpec(path: string): ReplaySpec {
  let text: string;
  try {
    text = withoutByteOrderMark(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `--spec ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const where = position === undefined ? '' : ` line ${lineOf(text, Number(position))}:`;
    throw new UsageError(`--spec ${path}:${where} not valid JSON: ${message}`);
  }
  try {
    return parseReplaySpec(data);
  } catch (error) {
    throw new UsageError(`--spec ${path}: invalid spec:\n${(error as Error).message}`);
  }
}

/** Checks what the numeric aggregations read on each line: a number, or nothing (skipped). */
function numericCheckers(spec: ReplaySpec): ((value: unknown) => string | undefined)[] {
  return Object.entries(spec.aggregations)
    .filter(([, a]) => isNumeric(a))
    .map(([name, a]) => {
      const read = fieldPath('field' in a ? a.field : undefined);
      const what = 'field' in a && a.field !== undefined ? `field "${a.field}"` : 'value';
      return (value: unknown) => {
        const v = read(value);
        if (v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v))) return undefined;
        return `aggregation "${name}" (${a.fn}) needs a number or null as the ${what} (given ${JSON.stringify(v)})`;
      };
    });
}

/** Buffers output lines and writes them in chunks, waiting for 'drain' when the pipe is full. */
class LineWriter {
  private buffer = '';
  constructor(private readonly out: Writable) {}
  async line(text: string): Promise<void> {
    this.buffer += `${text}\n`;
    if (this.buffer.length >= 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

const resultLine = (r: WindowResult) =>
  JSON.stringify({ key: r.key, windowStart: r.windowStart, windowEnd: r.windowEnd, values: r.values });
const lateLine = (l: LateRecord) =>
  JSON.stringify({
    late: {
      key: l.key,
      ts: l.ts,
      value: l.value ?? null,
      windowStart: l.windowStart,
      windowEnd: l.windowEnd,
      streamTime: l.streamTime,
    },
  });

/** Options of one replay, for running it on any pair of streams (the command uses stdin/stdout). */
export interface ReplayOptions {
  readonly spec: ReplaySpec;
  readonly emit: EmitMode;
  readonly flush: boolean;
}

/** Runs a replay; throws UsageError naming the line for a bad input line (after writing what came before). */
export async function replay(options: ReplayOptions, input: Readable, output: Writable): Promise<void> {
  const engine = createWindowEngine({
    window: options.spec.window,
    aggregations: compileSpecAggregations(options.spec.aggregations),
    emit: options.emit,
  });
  const checks = numericCheckers(options.spec);
  const writer = new LineWriter(output);
  let state: EngineState | undefined;
  let lineNumber = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      lineNumber++;
      const text = lineNumber === 1 ? withoutByteOrderMark(line) : line;
      if (text.trim() === '') continue;
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        throw new UsageError(`stdin line ${lineNumber}: not valid JSON: ${(error as Error).message}`);
      }
      const parsed = lineSchema.safeParse(data);
      if (!parsed.success) {
        throw new UsageError(
          `stdin line ${lineNumber}: expected {"key": string, "ts": whole epoch ms >= 0, "value": any}: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`,
        );
      }
      const record = { key: parsed.data.key, ts: parsed.data.ts, value: parsed.data.value ?? null };
      for (const check of checks) {
        const problem = check(record.value);
        if (problem !== undefined) throw new UsageError(`stdin line ${lineNumber}: ${problem}`);
      }
      const out = engine.process(state, [record]);
      state = out.state;
      for (const late of out.late) await writer.line(lateLine(late));
      for (const result of out.results) await writer.line(resultLine(result));
    }
    if (options.flush) {
      for (const result of engine.flush(state).results) await writer.line(resultLine(result));
    }
  } catch (error) {
    // The replay ends at the bad line: stop reading, or the command would wait for the end of an
    // input that may never come (a producer still writing, `tail -f`).
    input.destroy();
    throw error;
  } finally {
    await writer.flush();
  }
}

/** `tributary window`: replays JSON lines through the windowing engine (a stable contract). */
export const windowCommand: Command = {
  name: 'window',
  summary: 'Replay JSON lines from stdin through the event-time windowing engine',
  usage,
  async run(argv) {
    const { values } = parseOptions('window', argv, {
      spec: { type: 'string' },
      emit: { type: 'string', default: 'final' },
      flush: { type: 'boolean', default: false },
    });
    if (values.spec === undefined) throw new UsageError('window: --spec <spec.json> is required');
    if (values.emit !== 'final' && values.emit !== 'updates') {
      throw new UsageError(`window: --emit must be final or updates (given ${JSON.stringify(values.emit)})`);
    }
    const spec = readSpec(values.spec);
    await replay({ spec, emit: values.emit, flush: values.flush === true }, process.stdin, process.stdout);
    return 0;
  },
};
