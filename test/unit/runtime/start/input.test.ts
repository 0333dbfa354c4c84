import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPipeline } from '../../../../functions/pipelines/index.js';
import {
  detectFormat,
  fileInput,
  generatedInput,
  loadInput,
  saveInput,
} from '../../../../local/runtime/start/input.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';

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

  it.each([
    ['CSV', 'bom.csv', '\uFEFFVendorID,fare_amount\n2,12.5\n'],
    ['JSON lines', 'bom.jsonl', '\uFEFF{"VendorID":2,"fare_amount":12.5}\n'],
  ])(
    'reads a %s file that starts with a UTF-8 byte order mark as if it had none',
    async (_, name, content) => {
      // Prepare
      const file = join(dir, name);
      writeFileSync(file, content);

      // Act
      const records = await fileInput(file, 0);

      // Assess
      expect(records.map((r) => JSON.parse(r.text))).toEqual([{ VendorID: 2, fare_amount: 12.5 }]);
    },
  );

  it.each([
    ['a CSV file (after its header row)', 'lines.csv', 'VendorID,fare_amount\n\n2,12.5\n\n\n1,3\n', [3, 6]],
    ['JSON lines', 'lines.jsonl', '\n{"VendorID":2}\n\n{"VendorID":1}\n', [2, 4]],
  ])(
    'numbers each record of %s by its line in the file, blank lines counted',
    async (_, name, content, lines) => {
      // Prepare: produce names a rejected record by this line
      const file = join(dir, name);
      writeFileSync(file, content);

      // Act
      const records = await fileInput(file, 0);

      // Assess
      expect(records.map((r) => r.line)).toEqual(lines);
    },
  );

  it('repeats a run from its folder: input.jsonl beside run.json gives the saved texts and arrival times', async () => {
    // Prepare: a run folder as `tributary start` leaves it
    const run = mkdtempSync(join(dir, 'run-'));
    writeFileSync(join(run, 'run.json'), '{}');
    const saved = [
      { text: '{"VendorID":2}', arrivalMs: 5_000 },
      { text: 'not json at all', arrivalMs: 5_007 },
    ];
    saveInput(join(run, 'input.jsonl'), saved);

    // Act
    const records = await fileInput(join(run, 'input.jsonl'), 0);

    // Assess
    expect(records).toEqual([
      { ...saved[0], line: 1 },
      { ...saved[1], line: 2 },
    ]);
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

  it('reads the NASA access log TSV into log entries the web-access-logs pipeline accepts', async () => {
    // Prepare: CI checks out ../shared beside the clone; so does the development machine.
    const file = join(projectRoot, '..', 'shared', 'data', 'nasa-access-19950801-2000.tsv');
    const pipeline = getPipeline('web-access-logs');

    // Act
    const records = await fileInput(file, 0);

    // Assess: the header is not a record; the first row is
    //   in24.inetnebr.com - 807249601 GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt 200 1839
    expect(records).toHaveLength(2000);
    expect(JSON.parse(records[0]?.text ?? '')).toEqual({
      host: 'in24.inetnebr.com',
      timeMs: 807_249_601_000,
      request: 'GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt',
      method: 'GET',
      path: '/shuttle/missions/sts-68/news/sts-68-mcc-05.txt',
      status: 200,
      bytes: 1839,
    });
    const refused = records.map((r) => pipeline.parse(r.text, r.arrivalMs)).filter((p) => !p.ok);
    expect(refused).toEqual([]);
  });

  it('passes a NASA TSV row its reader refuses on unchanged, so the pipeline refuses and counts it', async () => {
    // Prepare
    const file = join(dir, 'broken.tsv');
    const header = 'host\tlogname\ttime\tmethod\turl\tresponse\tbytes\t\t';
    const good = 'a.example\t-\t807249601\tGET\t/\t200\t10\t\t';
    const broken = 'b.example\t-\tyesterday\tGET\t/\t200\t10\t\t';
    writeFileSync(file, `${header}\n${good}\n${broken}\n`);

    // Act
    const texts = (await fileInput(file, 0)).map((r) => r.text);

    // Assess
    expect(JSON.parse(texts[0] ?? '')).toMatchObject({ host: 'a.example', status: 200, bytes: 10 });
    expect(texts[1]).toBe(broken);
    expect(getPipeline('web-access-logs').parse(broken).ok).toBe(false);
  });

  it('turns the rows of any other TSV into JSON objects keyed by its header, like CSV', async () => {
    // Prepare
    const file = join(dir, 'trips.tsv');
    writeFileSync(file, 'VendorID\tnote\tfare_amount\n2\tsay, "hi"\t12.5\n1\t\t3\n');

    // Act
    const records = await fileInput(file, 0);

    // Assess
    expect(records.map((r) => JSON.parse(r.text))).toEqual([
      { VendorID: 2, note: 'say, "hi"', fare_amount: 12.5 },
      { VendorID: 1, note: null, fare_amount: 3 },
    ]);
  });

  it('refuses a missing file naming it', async () => {
    await expect(fileInput(join(dir, 'nope.jsonl'))).rejects.toThrow(/nope\.jsonl: no such file/);
  });

  it.each([
    ['blank.jsonl', '\n  \n\n'],
    ['header-only.csv', 'VendorID,fare_amount\n'],
    ['header-only.tsv', 'host\tlogname\ttime\tmethod\turl\tresponse\tbytes\n'],
  ])('refuses %s, which holds no events, naming it', async (name, content) => {
    // Arrange
    const file = join(dir, name);
    writeFileSync(file, content);

    // Act
    const act = fileInput(file);

    // Assess
    await expect(act).rejects.toThrow(`--input ${file}: no events in it (blank, or a header row alone)`);
  });
});

describe('detectFormat', () => {
  it('tells JSON lines, CSV, TSV and raw lines apart', () => {
    expect(detectFormat('x.txt', '{"a":1}')).toBe('jsonl');
    expect(detectFormat('x.csv', 'a,b')).toBe('csv');
    expect(detectFormat('x.tsv', 'a b')).toBe('tsv');
    expect(detectFormat('export.txt', 'host\tlogname\ttime')).toBe('tsv');
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
