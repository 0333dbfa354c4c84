import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventFileError, readEventFile } from '../../../../local/runtime/invoke/index.js';

const dir = mkdtempSync(join(tmpdir(), 'invoke-event-'));
const file = (name: string, body: string) => {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
};

describe('readEventFile', () => {
  it('reads any JSON value', () => {
    // Prepare
    const path = file('ok.json', '{"Records":[]}');

    // Act
    const event = readEventFile(path);

    // Assess
    expect(event).toEqual({ Records: [] });
  });

  it('reads a file that starts with a UTF-8 byte order mark (Windows editors write one)', () => {
    // Prepare
    const path = file('bom.json', '\uFEFF{"Records":[]}');

    // Act
    const event = readEventFile(path);

    // Assess
    expect(event).toEqual({ Records: [] });
  });

  it.each([
    ['a missing file', join(dir, 'missing.json'), /missing\.json: cannot read \(no such file\)/],
    ['a folder', dir, /cannot read \(a directory, not a file\)/],
    ['an empty file', file('empty.json', ' \n'), /empty\.json: empty file/],
    ['text that is not JSON', file('bad.json', '{"Records": ['), /bad\.json: not valid JSON/],
  ])('refuses %s, naming it', (_, path, message) => {
    // Act
    const act = () => readEventFile(path);

    // Assess
    expect(act).toThrow(EventFileError);
    expect(act).toThrow(message);
  });
});
