import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where a function's log lines go (Lambda's CloudWatch log stream, locally). */
export interface LogSink {
  /** One line the function (or the runtime, for START/END/REPORT) wrote, without its newline. */
  write(functionName: string, line: string): void;
}

/** Writes `[function] line` to stderr: what `tributary invoke` shows. */
export const stderrLogSink: LogSink = {
  write: (functionName, line) => process.stderr.write(`[${functionName}] ${line}\n`),
};

/** Appends `<ISO time> [function] line` to a file, e.g. `<run folder>/functions.log`. */
export function fileLogSink(path: string): LogSink {
  mkdirSync(dirname(path), { recursive: true });
  return {
    write: (functionName, line) =>
      appendFileSync(path, `${new Date().toISOString()} [${functionName}] ${line}\n`),
  };
}

/** Keeps lines in memory (tests). */
export function memoryLogSink(): LogSink & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (functionName, line) => lines.push(`[${functionName}] ${line}`) };
}
