import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { main } from '../../../local/cli.js';
import { startCommand } from '../../../local/commands/start.js';

let stdout: MockInstance;
let stderr: MockInstance;
const printed = (spy: MockInstance) => spy.mock.calls.map((c) => String(c[0])).join('\n');

beforeEach(() => {
  stdout = vi.spyOn(console, 'log').mockImplementation(() => {});
  stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe('tributary (the command itself)', () => {
  it('with no command, says one is needed and prints the overview on stderr, exit 2', async () => {
    // Act
    const code = await main([]);

    // Assess
    expect(code).toBe(2);
    expect(printed(stderr)).toMatch(
      /^tributary: a command is needed \(one of: services, window, invoke, start, produce\)\n\nUsage: tributary <command> \[options\]/,
    );
    expect(printed(stdout)).toBe('');
  });

  it('says how to pass a value that starts with a dash', async () => {
    // Act
    const code = await main(['window', '--spec', '-my.json']);

    // Assess
    expect(code).toBe(2);
    expect(printed(stderr)).toMatch(
      /^tributary window: --spec needs a value; for one that starts with a dash, write --spec=<value>\n/,
    );
  });

  it('after a wrong argument prints the error and the synopsis, not the whole help, exit 2', async () => {
    // Act
    const code = await main(['window', '--emit']);

    // Assess
    expect(code).toBe(2);
    expect(printed(stderr)).toBe(
      'tributary window: --emit needs a value\n\nUsage: tributary window --spec <spec.json> [--emit final|updates] [--flush]\nAll options: tributary window --help',
    );
  });

  it.each([[['help', 'start']], [['start', '--help']]])('%j prints the command’s own help', async (argv) => {
    // Act
    const code = await main(argv);

    // Assess
    expect(code).toBe(0);
    expect(printed(stdout)).toBe(startCommand.usage);
  });

  it.each([[['help', 'begin']], [['begin']]])(
    '%j names the unknown command and the known ones, exit 2',
    async (argv) => {
      // Act
      const code = await main(argv);

      // Assess
      expect(code).toBe(2);
      expect(printed(stderr)).toBe(
        'tributary: unknown command "begin" (expected one of: services, window, invoke, start, produce)',
      );
    },
  );

  it.each([['--version'], ['-V']])('%s prints the package version', async (flag) => {
    // Arrange
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

    // Act
    const code = await main([flag]);

    // Assess
    expect(code).toBe(0);
    expect(printed(stdout)).toBe(manifest.version);
  });
});
