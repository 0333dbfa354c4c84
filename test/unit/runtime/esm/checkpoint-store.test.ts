import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, MappingConfigError } from '../../../../local/runtime/event-source-mapping/index.js';

describe('CheckpointStore', () => {
  it('persists positions that a new store (a restarted runtime) reads back', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'cp-')), 'run', 'esm-checkpoints.json');
    const store = new CheckpointStore(file, 10_000);

    // Act
    store.set('Stack/Mapping', 'shardId-000000000000', { sequenceNumber: '4959001' });
    store.set('Stack/Mapping', 'shardId-000000000001', { sequenceNumber: '4959002', shardEnded: true });
    const beforeFlush = existsSync(file);
    store.flush();
    const reopened = new CheckpointStore(file);

    // Assess
    expect(beforeFlush).toBe(false);
    expect(reopened.get('Stack/Mapping', 'shardId-000000000000')?.sequenceNumber).toBe('4959001');
    expect(reopened.get('Stack/Mapping', 'shardId-000000000001')).toMatchObject({ shardEnded: true });
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(JSON.parse(readFileSync(file, 'utf8')).version).toBe(1);
  });

  it('refuses a file that is not its own instead of starting over silently', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'cp-')), 'esm-checkpoints.json');
    writeFileSync(file, JSON.stringify({ version: 2, shards: [] }));

    // Act
    const act = () => new CheckpointStore(file);

    // Assess
    expect(act).toThrow(MappingConfigError);
  });
});
