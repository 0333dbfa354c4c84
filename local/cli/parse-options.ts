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
