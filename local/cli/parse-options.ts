import { statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` with its errors turned into UsageErrors that name the command,
 * so every command reports wrong arguments the same way (exit 2).
 */
export function parseOptions<T extends Options>(
  command: string,
  argv: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${command}: ${reason}`);
  }
}

/** Parses a whole, non-negative number option; says which option and what it got otherwise. */
export function parseCount(option: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new UsageError(`--${option} must be a whole number >= 0 (given ${JSON.stringify(value)})`);
  }
  return parsed;
}

/**
 * Checks that `--<option> <path>` names a file that exists, before a command starts services or
 * synthesizes: a mistyped path is a usage error (exit 2), not a failed run. `expected` says what
 * the option wants, for the message.
 */
export function existingFile(option: string, path: string, expected: string): string {
  const found = statSync(path, { throwIfNoEntry: false });
  if (found === undefined) throw new UsageError(`--${option} ${path}: no such file (expected ${expected})`);
  if (!found.isFile()) throw new UsageError(`--${option} ${path}: not a file (expected ${expected})`);
  return path;
}
