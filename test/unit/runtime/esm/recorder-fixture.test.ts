import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../../local/tools/state-dir.js';

const handlerUrl = pathToFileURL(
  join(projectRoot, 'test', 'fixtures', 'handlers', 'recorder', 'index.mjs'),
).href;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Invokes the recorder handler in a process of its own: a separate execution environment. */
function invokeInNewEnvironment(recordFile: string, ids: number[]): unknown {
  const event = {
    Records: ids.map((id) => ({
      eventID: `shardId-000000000000:${1000 + id}`,
      kinesis: {
        sequenceNumber: String(1000 + id),
        partitionKey: 'k',
        data: Buffer.from(JSON.stringify({ id, behaviour: id === 7 ? 'fail-once' : 'ok' })).toString(
          'base64',
        ),
      },
    })),
  };
  const script = `const { handler } = await import(${JSON.stringify(handlerUrl)});
process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)})));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, RECORD_FILE: recordFile },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('recorder fixture handler', () => {
  it('fails a fail-once record once per run, even when the retry runs in another environment', () => {
    // Prepare: the local runtime (like Lambda) may give the retry to a different warm environment
    const dir = mkdtempSync(join(tmpdir(), 'recorder-'));
    dirs.push(dir);
    const recordFile = join(dir, 'invocations.jsonl');

    // Act
    const first = invokeInNewEnvironment(recordFile, [6, 7, 8]);
    const retry = invokeInNewEnvironment(recordFile, [7, 8]);

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: '1007' }] });
    expect(retry).toEqual({ batchItemFailures: [] });
    const outcomes = readFileSync(recordFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).outcome);
    expect(outcomes).toEqual(['partial', 'ok']);
  });
});
