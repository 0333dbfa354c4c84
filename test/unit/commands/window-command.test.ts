import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReplaySpec } from '../../../functions/core/spec-aggregations.js';
import { replay } from '../../../local/commands/window.js';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let specs = 0;
function specFile(spec: unknown): string {
  const path = join(dir, `spec-${specs++}.json`);
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return path;
}

/** Runs `node bin/tributary.mjs window ...` with `lines` on stdin. */
function tributaryWindow(args: string[], lines: readonly unknown[] | string) {
  const input = typeof lines === 'string' ? lines : lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  const child = spawnSync(process.execPath, ['bin/tributary.mjs', 'window', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const out = child.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
  return { code: child.status, out, stderr: child.stderr };
}

const tumbling = {
  window: { type: 'tumbling', sizeMs: 10, graceMs: 0 },
  aggregations: {
    n: { fn: 'count' },
    total: { fn: 'sum', field: 'fare.total' },
    top: { fn: 'max', field: 'fare.total' },
  },
};

describe('tributary window', () => {
  it('prints results and late records as JSON lines in emission order', () => {
    // Prepare
    const spec = specFile(tumbling);
    const lines = [
      { key: 'a', ts: 1, value: { fare: { total: 2.5 } } },
      { key: 'a', ts: 12, value: { fare: { total: 1 } } },
      { key: 'a', ts: 5, value: { fare: { total: 9 } } },
    ];

    // Act
    const { code, out } = tributaryWindow(['--spec', spec], lines);

    // Assess
    expect(code).toBe(0);
    expect(out).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, values: { n: 1, total: 2.5, top: 2.5 } },
      {
        late: {
          key: 'a',
          ts: 5,
          value: { fare: { total: 9 } },
          windowStart: 0,
          windowEnd: 10,
          streamTime: 12,
        },
      },
    ]);
  });

  it('closes every open window at end of input with --flush', () => {
    // Prepare: no field: the value itself
    const spec = specFile({
      window: { type: 'tumbling', sizeMs: 10, graceMs: 0 },
      aggregations: { s: { fn: 'sum' } },
    });

    // Act
    const { code, out } = tributaryWindow(['--spec', spec, '--flush'], [{ key: 'a', ts: 1, value: 3 }]);

    // Assess
    expect(code).toBe(0);
    expect(out).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, values: { s: 3 } }]);
  });

  it('retracts a merged-away session with "values": null in updates mode', () => {
    // Prepare
    const spec = specFile({
      window: { type: 'session', gapMs: 5, graceMs: 10 },
      aggregations: { n: { fn: 'count' } },
    });

    // Act
    const { code, out } = tributaryWindow(
      ['--spec', spec, '--emit', 'updates'],
      [
        { key: 'u', ts: 0, value: null },
        { key: 'u', ts: 10, value: null },
        { key: 'u', ts: 5, value: null },
      ],
    );

    // Assess
    expect(code).toBe(0);
    expect(out.slice(2)).toEqual([
      { key: 'u', windowStart: 0, windowEnd: 0, values: null },
      { key: 'u', windowStart: 10, windowEnd: 10, values: null },
      { key: 'u', windowStart: 0, windowEnd: 10, values: { n: 3 } },
    ]);
  });

  it('exits 2 on a spec that breaks the format, saying what is wrong', () => {
    // Act
    const { code, stderr } = tributaryWindow(
      [
        '--spec',
        specFile({ window: { type: 'hopping', sizeMs: 5, advanceMs: 10, graceMs: 0 }, aggregations: {} }),
      ],
      '',
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/advanceMs must be <= sizeMs/);
    expect(stderr).toMatch(/at least one aggregation/);
  });

  it.each([
    [
      'a record in more than 100,000 hopping windows',
      {
        window: { type: 'hopping', sizeMs: 100_000_000, advanceMs: 1, graceMs: 0 },
        aggregations: { n: { fn: 'count' } },
      },
      /sizeMs \/ advanceMs must be at most 100,000/,
    ],
    [
      'an aggregation named __proto__ (it would vanish from the results)',
      {
        window: { type: 'tumbling', sizeMs: 10, graceMs: 0 },
        aggregations: JSON.parse('{"__proto__": {"fn": "count"}, "m": {"fn": "count"}}'),
      },
      /an aggregation cannot be named "__proto__"/,
    ],
  ])('exits 2 on a spec with %s, saying so', (_, spec, message) => {
    // Act
    const { code, stderr } = tributaryWindow(
      ['--spec', specFile(spec), '--flush'],
      [{ key: 'a', ts: 1_000_000_000 }],
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits 2 on a spec that is not JSON, with the line number', () => {
    // Act
    const { code, stderr } = tributaryWindow(['--spec', specFile('{\n  "window": {\n    oops\n}')], '');

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/line 3: not valid JSON/);
  });

  it('reads a spec and stdin that start with a UTF-8 byte order mark as if they had none', () => {
    // Prepare
    const spec = specFile(`\uFEFF${JSON.stringify(tumbling)}`);
    const input = `\uFEFF${JSON.stringify({ key: 'a', ts: 1, value: { fare: { total: 2 } } })}\n`;

    // Act
    const { code, out, stderr } = tributaryWindow(['--spec', spec, '--flush'], input);

    // Assess
    expect(code, stderr).toBe(0);
    expect(out).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, values: { n: 1, total: 2, top: 2 } }]);
  });

  it('exits 2 on a bad input line, naming it, after writing what came before', () => {
    // Prepare
    const input = `${JSON.stringify({ key: 'a', ts: 1, value: 1 })}\n${JSON.stringify({ key: 'a', ts: 30, value: 1 })}\n{"key":"a","ts":-4}\n`;

    // Act
    const { code, out, stderr } = tributaryWindow(['--spec', specFile(tumbling)], input);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/stdin line 3: .*ts/);
    expect(out).toHaveLength(1);
  });

  it('exits 2 when a numeric aggregation meets a value that is not a number', () => {
    // Act
    const { code, stderr } = tributaryWindow(
      ['--spec', specFile(tumbling)],
      [{ key: 'a', ts: 1, value: { fare: { total: 'x' } } }],
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /stdin line 1: aggregation "total" \(sum\) needs a number or null as the field "fare.total" \(given "x"\)/,
    );
  });

  it('exits 2 without --spec or with an unknown emit mode', () => {
    // Act
    const missing = tributaryWindow([], '');
    const badEmit = tributaryWindow(['--spec', specFile(tumbling), '--emit', 'sometimes'], '');

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--spec <spec.json> is required/);
    expect(badEmit.code).toBe(2);
    expect(badEmit.stderr).toMatch(/--emit must be final or updates \(given "sometimes"\)/);
  });

  it('streams a large input: 200,000 lines, every record counted once', () => {
    // Prepare: 200 keys, 10 ms apart, in order
    const lines = Array.from(
      { length: 200_000 },
      (_, i) => `{"key":"k${i % 200}","ts":${i * 10},"value":1}\n`,
    ).join('');
    const spec = specFile({
      window: { type: 'tumbling', sizeMs: 60_000, graceMs: 0 },
      aggregations: { n: { fn: 'count' } },
    });

    // Act
    const { code, out } = tributaryWindow(['--spec', spec, '--flush'], lines);

    // Assess
    expect(code).toBe(0);
    const counted = out.reduce<number>(
      (sum, line) => sum + ((line as { values: { n: number } }).values.n ?? 0),
      0,
    );
    expect(counted).toBe(200_000);
  }, 60_000);
});

describe('replay', () => {
  it('stops reading at a bad line, even from an input that has not ended (a producer still writing)', async () => {
    // Prepare: a good line and a bad one, the input left open
    const input = new PassThrough();
    input.write('{"key":"a","ts":1}\n{oops\n');
    const spec = parseReplaySpec({
      window: { type: 'tumbling', sizeMs: 10, graceMs: 0 },
      aggregations: { n: { fn: 'count' } },
    });

    // Act
    const outcome = replay({ spec, emit: 'final', flush: false }, input, new PassThrough());

    // Assess
    await expect(outcome).rejects.toThrow('stdin line 2: not valid JSON');
    expect(input.destroyed).toBe(true);
  });
});
