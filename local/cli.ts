import { readFileSync } from 'node:fs';
import { type Command, UsageError, wantsHelp } from './cli/command.js';
import { commands } from './commands/index.js';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: tributary <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `tributary <command> --help` (or `tributary help <command>`) for the options of one command,',
    '`tributary --version` for the version.',
  ].join('\n');
}

function find(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}

/**
 * A command's synopsis: its usage text up to the first blank line. A wrong argument prints this
 * under the error, not the whole help, so the line saying what is wrong stays on the screen.
 */
function synopsis(command: Command): string {
  const [head = ''] = command.usage.split(/\n\s*\n/);
  return `${head}\nAll options: tributary ${command.name} --help`;
}

/** The commands' names, for the messages that list them. */
const commandNames = () => commands.map((c) => c.name).join(', ');

function unknownCommand(name: string): number {
  console.error(`tributary: unknown command ${JSON.stringify(name)} (expected one of: ${commandNames()})`);
  return 2;
}

/** The version in the package.json beside local/ (the CLI runs from source, through tsx). */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Entry point of the `tributary` command; resolves to the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    console.log(version());
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    // `tributary help start`, as git and npm read it: the command's own help.
    const asked = find(rest[0] as string);
    if (!asked) return unknownCommand(rest[0] as string);
    console.log(asked.usage);
    return 0;
  }
  if (name === undefined) {
    console.error(`tributary: a command is needed (one of: ${commandNames()})\n\n${overview()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(overview());
    return 0;
  }
  const command = find(name);
  if (!command) return unknownCommand(name);
  if (wantsHelp(rest)) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `tributary ${error.message.startsWith(command.name) ? '' : `${command.name}: `}${error.message}`,
      );
      console.error(`\n${synopsis(command)}`);
      return 2;
    }
    console.error(`tributary ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
