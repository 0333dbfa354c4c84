import { existsSync, readFileSync } from 'node:fs';

/** The JSON lines a test function appended to `file` (none before it wrote the first). */
export function readJsonLines<T>(file: string): T[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T)
    : [];
}
