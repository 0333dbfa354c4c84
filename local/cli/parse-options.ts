import { statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--rate -1` as `--rate=-1`: parseArgs takes a value starting with a dash for a forgotten value
 * ("argument is ambiguous"), when a negative number is never an option's name. Given as the value,
 * it gets the option's own check, which says what the option expects.
 */
function negativeNumbersAsValues(argv: readonly string[], options: Options): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return [...args, ...argv.slice(i)];
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

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
    const args = negativeNumbersAsValues(argv, options);
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${command}: ${reason}`);
  }
}

/**
 * Parses a whole number option of at least `minimum`; says which option, what it expects and what
 * it got otherwise.
 */
export function parseCount(option: string, value: string | undefined, fallback: number, minimum = 0): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) {
    throw new UsageError(`--${option} must be a whole number >= ${minimum} (given ${JSON.stringify(value)})`);
  }
  return parsed;
}

/** `--transport`: the Kinesis app or the MSK one (-c transport=msk); undefined when not given. */
export function parseTransport(value: string | undefined): 'kinesis' | 'msk' | undefined {
  if (value === undefined || value === 'kinesis' || value === 'msk') return value;
  throw new UsageError(`--transport must be kinesis or msk (given ${JSON.stringify(value)})`);
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
