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
  it('with no command, prints the overview and exits 2', async () => {
    // Act
    const code = await main([]);

    // Assess
    expect(code).toBe(2);
    expect(printed(stdout)).toMatch(/^Usage: tributary <command> \[options\]/);
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
