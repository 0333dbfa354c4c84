import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tailLines } from '../../../local/services/logs.js';

describe('tailLines', () => {
  it('returns the last lines of a file larger than one read', () => {
    // Prepare
    const path = join(mkdtempSync(join(tmpdir(), 'tributary-logs-')), 'big.log');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    writeFileSync(path, `${lines.join('\n')}\n`);

    // Act
    const tail = tailLines(path, 3);

    // Assess
    expect(tail).toEqual(lines.slice(-3));
  });

  it('returns nothing for a missing file', () => {
    expect(tailLines('/nonexistent/tributary.log', 10)).toEqual([]);
  });
});
