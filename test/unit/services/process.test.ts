import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  isAlive,
  isOurs,
  pidsWithCommandLine,
  readPidFile,
  spawnDetached,
  stopGroup,
} from '../../../local/services/process.js';

describe('detached service processes', () => {
  it('outlive their spawner, log to a file, and stop with their whole process group', async () => {
    // Prepare: a parent with a child, as LocalStack runs kinesis-mock
    const dir = mkdtempSync(join(tmpdir(), 'tributary-process-'));
    const spec = {
      command: 'sh',
      args: ['-c', 'echo started; sleep 60 & echo "child $!"; wait'],
      cwd: dir,
      env: process.env,
      logFile: join(dir, 'out.log'),
      pidFile: join(dir, 'out.pid'),
    };

    // Act
    const pid = spawnDetached(spec);
    await sleep(300);
    const child = Number(/child (\d+)/.exec(readFileSync(spec.logFile, 'utf8'))?.[1]);
    const aliveBefore = [isAlive(pid), isAlive(child)];
    const stopped = await stopGroup(pid, 5_000);

    // Assess
    expect(readPidFile(spec.pidFile)).toBe(pid);
    expect(aliveBefore).toEqual([true, true]);
    expect(stopped).toBe(true);
    expect([isAlive(pid), isAlive(child)]).toEqual([false, false]);
  });

  it('counts a live pid as ours only when its command line carries the marker', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'tributary-process-'));
    const pid = spawnDetached({
      command: 'sleep',
      args: ['30'],
      cwd: dir,
      env: process.env,
      logFile: join(dir, 'out.log'),
      pidFile: join(dir, 'out.pid'),
    });
    try {
      // Act + Assess
      expect(isOurs(pid, 'sleep 30')).toBe(true);
      expect(isOurs(pid, 'kafka.Kafka')).toBe(false);
      expect(isOurs(undefined, 'sleep')).toBe(false);
    } finally {
      await stopGroup(pid, 2_000);
    }
  });

  it('finds processes by a text in their command line, e.g. a child left in a group of its own', async () => {
    // Prepare: as kinesis-mock runs from a path under LocalStack's filesystem root
    const dir = mkdtempSync(join(tmpdir(), 'tributary-process-'));
    const pid = spawnDetached({
      command: process.execPath,
      args: ['-e', 'setTimeout(() => {}, 30_000)', join(dir, 'kinesis-local', 'main.js')],
      cwd: dir,
      env: process.env,
      logFile: join(dir, 'out.log'),
      pidFile: join(dir, 'out.pid'),
    });

    // Act
    const found = pidsWithCommandLine(dir);
    await stopGroup(pid, 1_000);

    // Assess
    expect(found).toEqual([pid]);
    expect(pidsWithCommandLine(dir)).toEqual([]);
  });
});
