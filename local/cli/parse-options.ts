import { statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { NAME } from '../../infra/context.js';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--rate -1` as `--rate=-1`: parseArgs takes a value starting with a dash for a forgotten value
 * ("argument is ambiguous"), when a negative number is never an option's name. Given as the value,
 * it gets the option's own check, which says what the option expects.
 */
function negativeNumbersAsValues(argv: readonly string[], options: Options): string[] {
  const longNameOf = (arg: string): string | undefined => {
    if (arg.startsWith('--')) return arg.slice(2);
    // `-n -5` as `--lines=-5`: a short option has no `=` form.
    if (/^-\w$/.test(arg)) return Object.keys(options).find((name) => options[name]?.short === arg.slice(1));
    return undefined;
  };
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return [...args, ...argv.slice(i)];
    const next = argv[i + 1];
    const name = longNameOf(arg);
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`--${name}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

/**
 * parseArgs' message in the commands' own words: which option, and what was expected. Its own
 * text adds advice about `--` positionals to unknown options of commands that take positionals,
 * and a generic `<value>` to missing values.
 */
function reworded(error: unknown, options: Options): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  // "Option '-n, --lines <value>' ...": the long name, whether or not a short form comes first.
  const name = /'(?:-\w, )?(-{1,2}[^', ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && name !== undefined) {
    const known = Object.keys(options).map((o) => `--${o}`);
    return known.length === 0
      ? `unknown option ${name} (this command takes no options)`
      : `unknown option ${name} (expected one of: ${known.join(', ')})`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name !== undefined) {
    if (/argument missing/.test(message)) return `${name} needs a value`;
    // A value that starts with a dash reads as an option: parseArgs' own hint says how to pass it.
    if (/ambiguous/.test(message))
      return `${name} needs a value; for one that starts with a dash, write ${name}=<value>`;
    if (/does not take an argument/.test(message)) return `${name} takes no value`;
  }
  return message;
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
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
  >;
  try {
    const args = negativeNumbersAsValues(argv, options);
    parsed = parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${reworded(error, options)}`);
  }
  // `--input "$FILE"` with FILE unset must not read as "no --input" (and generate events instead).
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === '') throw new UsageError(`${command}: --${name} needs a value, and was given an empty one`);
  }
  return parsed;
}

/**
 * Parses a whole number option of at least `minimum`; says which option, what it expects and what
 * it got otherwise.
 */
export function parseCount(option: string, value: string | undefined, fallback: number, minimum = 0): number {
  if (value === undefined) return fallback;
  // Digits only: Number() would also take "1e3", "0x10" or " 5 ".
  const parsed = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < minimum) {
    throw new UsageError(`--${option} must be a whole number >= ${minimum} (given ${JSON.stringify(value)})`);
  }
  return parsed;
}

/**
 * `--stage`: the rule infra/context.ts applies to `-c stage` (its `NAME`), checked before a command
 * synthesizes, so a bad name is a usage error and not a failed synth.
 */
export function parseStage(value: string | undefined): string | undefined {
  if (value === undefined || NAME.test(value)) return value;
  throw new UsageError(
    `--stage must be lower-case letters, digits and dashes, starting with a letter, at most 31 characters (given ${JSON.stringify(value)})`,
  );
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
