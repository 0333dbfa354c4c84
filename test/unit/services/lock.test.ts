import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withLock } from '../../../local/services/lock.js';

function lockPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'tributary-lock-')), 'services.lock');
}

describe('withLock', () => {
  it('runs two holders one after the other, never together', async () => {
    // Prepare
    const path = lockPath();
    const events: string[] = [];
    const task = (name: string) =>
      withLock(path, async () => {
        events.push(`${name} in`);
        await sleep(150);
        events.push(`${name} out`);
      });

    // Act
    await Promise.all([task('a'), task('b')]);

    // Assess
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it('takes over a lock left by a process that is gone', async () => {
    // Prepare: pid 2^22 + 1 is above Linux's pid_max, so no process has it
    const path = lockPath();
    writeFileSync(path, String(4_194_305));

    // Act
    const result = await withLock(path, async () => 'ran', 2_000);

    // Assess
    expect(result).toBe('ran');
  });

  it('gives up after its deadline while a live process holds the lock', async () => {
    // Prepare: this very process holds it
    const path = lockPath();
    writeFileSync(path, String(process.pid));

    // Act + Assess
    await expect(withLock(path, async () => 'ran', 300)).rejects.toThrow(`held by pid ${process.pid}`);
  });
});
