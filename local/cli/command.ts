/** A `tributary` subcommand: one file per command in `local/commands/`. */
export interface Command {
  readonly name: string;
  /** One line for `tributary --help`. */
  readonly summary: string;
  /** Full text for `tributary <name> --help`: usage line, options, examples. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/**
 * Wrong arguments. The CLI prints the message and the command's usage and exits 2.
 * The message should say what was wrong and what was expected.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** True when the arguments ask for help (`-h` or `--help` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
