import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { main } from '../../../../local/cli.js';
import { writeAppAssembly } from './app-template.js';

const assemblyDir = writeAppAssembly();
const eventFile = join(mkdtempSync(join(tmpdir(), 'invoke-cmd-')), 'event.json');
writeFileSync(eventFile, '{"Records":[]}');

let stdout: MockInstance;
let stderr: MockInstance;
let errors: MockInstance;
const printed = (spy: MockInstance) => spy.mock.calls.map((c) => String(c[0])).join('\n');

beforeEach(() => {
  stdout = vi.spyOn(console, 'log').mockImplementation(() => {});
  errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe('tributary invoke arguments', () => {
  it.each([
    [['invoke', '--event', eventFile], /name a function/],
    [['invoke', 'A', 'B', '--event', eventFile], /one function at a time \(given 2: A B\)/],
    [['invoke', 'Aggregator'], /--event <file.json> is required/],
    [['invoke', 'Aggregator', '--event', '/nonexistent/e.json'], /\/nonexistent\/e\.json: cannot read/],
    [['invoke', 'Aggregator', '--evnt', eventFile], /unknown option --evnt \(expected one of: --event, /],
    [['invoke', 'Aggregator', '--event', eventFile, '--json'], /--json goes with --list/],
    [['invoke', '--list', 'Aggregator'], /--list takes no function name \(given Aggregator\)/],
    [['invoke', '--list', '--assembly', '/nonexistent'], /--assembly \/nonexistent: no cloud assembly there/],
  ])('%j exits 2 and says why', async (argv, message) => {
    // Act
    const code = await main(argv);

    // Assess
    expect(code).toBe(2);
    expect(printed(errors)).toMatch(message);
  });

  it('exits 2 for an unknown function and lists the known ones', async () => {
    // Act
    const code = await main(['invoke', 'Nope', '--event', eventFile, '--assembly', assemblyDir]);

    // Assess
    expect(code).toBe(2);
    expect(printed(errors)).toMatch(/unknown function "Nope"/);
    expect(printed(errors)).toMatch(/App\/Aggregator-orders\/Handler\/Function {2}\(Aggregator\)/);
    expect(stdout).not.toHaveBeenCalled();
  });

  it('--list --json prints the functions with their sources on stdout', async () => {
    // Act
    const code = await main(['invoke', '--list', '--json', '--assembly', assemblyDir]);

    // Assess
    expect(code).toBe(0);
    const rows: unknown = JSON.parse(printed(stdout));
    expect(rows).toEqual([
      expect.objectContaining({
        path: 'App/Producer/Handler/Function',
        sources: [expect.objectContaining({ kind: 'function-url' })],
      }),
      expect.objectContaining({
        logicalId: 'Aggregator',
        sources: [expect.objectContaining({ kind: 'kinesis' })],
      }),
      expect.objectContaining({
        logicalId: 'IdleFlush',
        sources: [expect.objectContaining({ kind: 'scheduled' })],
      }),
      expect.objectContaining({ logicalId: 'Thrower', handler: 'index.thrower', sources: [] }),
    ]);
    expect(stderr).not.toHaveBeenCalled();
  });
});
