import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file so commands work from any working directory. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The project's ignored state folder (`.local/`): virtualenvs, Kafka jars, service data, pid and
 * log files, `services.json`, run folders. `TRIBUTARY_STATE_DIR` moves it.
 */
export function stateDir(): string {
  const dir = process.env.TRIBUTARY_STATE_DIR ?? join(projectRoot, '.local');
  mkdirSync(dir, { recursive: true });
  return dir;
}
