import { describe, expect, it } from 'vitest';
import { formatFigures, ProgressDisplay, type RunFigures } from '../../../../local/runtime/start/progress.js';
import { table } from '../../../../local/tools/text-table.js';

const figures: RunFigures = {
  phase: 'producing',
  produced: 50,
  target: 100,
  consumed: 25,
  lag: 'iterator age 1.5 s',
  windowsClosed: 3,
  late: 1,
  deadLettered: 2,
  elapsedMs: 12_000,
};

describe('formatFigures', () => {
  it('shows a bar of consumed/target and every counter', () => {
    expect(formatFigures(figures)).toBe(
      'producing [#####...............] | produced 50/100 | consumed 25 | iterator age 1.5 s | windows 3 | late 1 | dead-lettered 2 | 12 s',
    );
  });
});

describe('ProgressDisplay', () => {
  it('writes plain lines, not carriage returns, when the output is not a terminal', () => {
    // Prepare
    const written: string[] = [];
    const out = { write: (s: string) => written.push(s), isTTY: false } as unknown as NodeJS.WriteStream;
    const display = new ProgressDisplay(() => figures, out, { intervalMs: 5, plainIntervalMs: 60_000 });

    // Act
    display.start();
    display.log('hello');
    display.stop();

    // Assess
    expect(written.join('')).not.toContain('\r');
    expect(written.at(-1)).toBe(`${formatFigures(figures)}\n`);
    expect(written).toContain('hello\n');
  });
});

describe('table', () => {
  it('aligns text left and numbers right', () => {
    expect(
      table(
        ['key', 'n'],
        [
          ['a', 1],
          ['bb', 10.5],
        ],
      ),
    ).toBe('key      n\n---  -----\na        1\nbb   10.50');
  });
});
