import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The last `lines` lines of a text file (read from the end, so a large log costs little). */
export function tailLines(path: string, lines: number): string[] {
  if (!existsSync(path) || lines === 0) return [];
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    let start = size;
    let text = '';
    while (start > 0 && text.split('\n').length <= lines + 1) {
      const length = Math.min(64 * 1024, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, start);
      text = buffer.toString('utf8') + text;
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  } finally {
    closeSync(fd);
  }
}

/** Prints what is appended to a file until `signal` aborts (`logs --follow`). */
export async function follow(
  path: string,
  write: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let offset = existsSync(path) ? statSync(path).size : 0;
  while (!signal.aborted) {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size < offset) offset = 0; // truncated or replaced: start again from its beginning
    if (size > offset) {
      const fd = openSync(path, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        readSync(fd, buffer, 0, buffer.length, offset);
        write(buffer.toString('utf8'));
      } finally {
        closeSync(fd);
      }
      offset = size;
    }
    await sleep(300).catch(() => undefined);
  }
}
