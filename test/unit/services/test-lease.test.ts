import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireTestServices } from '../../../local/services/test-lease.js';

const saved = process.env.TRIBUTARY_STATE_DIR;

afterEach(() => {
  if (saved === undefined) delete process.env.TRIBUTARY_STATE_DIR;
  else process.env.TRIBUTARY_STATE_DIR = saved;
});

describe('acquireTestServices', () => {
  it('releases what did start when a service fails to start, then fails with that error', async () => {
    // Prepare: leases in a scratch state folder; Kafka "fails" after LocalStack "started"
    const dir = mkdtempSync(join(tmpdir(), 'tributary-lease-'));
    process.env.TRIBUTARY_STATE_DIR = dir;
    const released: boolean[] = [];
    const failing = async () => {
      throw new Error('kafka: kafka-storage format exited with 1');
    };
    const release = async (_log: unknown, keep: boolean) => {
      released.push(keep);
    };

    // Act
    const acquiring = acquireTestServices(() => {}, 1_000, { up: failing, release });

    // Assess
    await expect(acquiring).rejects.toThrow('kafka-storage format exited with 1');
    expect(released).toEqual([false]);
    expect(existsSync(join(dir, 'test-leases', String(process.pid)))).toBe(true);
  });
});
