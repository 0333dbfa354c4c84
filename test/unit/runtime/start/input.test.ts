import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detectFormat,
  fileInput,
  generatedInput,
  loadInput,
  saveInput,
} from '../../../../local/runtime/start/input.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-input-'));

describe('fileInput', () => {
  it('turns CSV rows into JSON objects keyed by the header, numbers as numbers, empty fields as null', async () => {
    // Prepare
    const file = join(dir, 'trips.csv');
    writeFileSync(file, 'VendorID,store_and_fwd_flag,fare_amount,note\n2,N,12.5,\n1,"Y,x",3,"say ""hi"""\n');

    // Act
    const records = await fileInput(file, 1000);

    // Assess
    expect(records.map((r) => JSON.parse(r.text))).toEqual([
      { VendorID: 2, store_and_fwd_flag: 'N', fare_amount: 12.5, note: null },
      { VendorID: 1, store_and_fwd_flag: 'Y,x', fare_amount: 3, note: 'say "hi"' },
    ]);
    expect(records.map((r) => r.arrivalMs)).toEqual([1000, 1001]);
  });

  it('passes access log lines through as they are, skipping blank lines', async () => {
    // Prepare
    const file = join(dir, 'access.log');
    const line =
      'in24.inetnebr.com - - [01/Aug/1995:00:00:01 -0400] "GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt HTTP/1.0" 200 1839';
    writeFileSync(file, `${line}\n\n${line}\n`);

    // Act
    const records = await fileInput(file, 0);

    // Assess
    expect(records.map((r) => r.text)).toEqual([line, line]);
  });

  it('refuses a missing file naming it', async () => {
    await expect(fileInput(join(dir, 'nope.jsonl'))).rejects.toThrow(/nope\.jsonl: no such file/);
  });
});

describe('detectFormat', () => {
  it('tells JSON lines, CSV and raw lines apart', () => {
    expect(detectFormat('x.txt', '{"a":1}')).toBe('jsonl');
    expect(detectFormat('x.csv', 'a,b')).toBe('csv');
    expect(detectFormat('x.log', '127.0.0.1 - - [01/Aug/1995]')).toBe('lines');
  });
});

describe('generatedInput and the run folder input file', () => {
  it('is reproducible from the seed and survives a save/load round trip', () => {
    // Prepare
    const file = join(dir, 'input.jsonl');
    const first = generatedInput('taxi-rides', 50, 9);

    // Act
    saveInput(file, first);
    const loaded = loadInput(file);

    // Assess
    expect(generatedInput('taxi-rides', 50, 9)).toEqual(first);
    expect(generatedInput('taxi-rides', 50, 10)).not.toEqual(first);
    expect(loaded).toEqual(first);
  });
});
