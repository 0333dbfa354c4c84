import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../local/cli/command.js';
import { produceCommand } from '../../../local/commands/produce.js';
import { startCommand } from '../../../local/commands/start.js';

// Every example has a generator and is in cdk.json. A pipeline of one's own need be neither: as if
// only taxi-rides had a generator, and cdk.json listed taxi-rides and web-access-logs.
vi.mock('../../../functions/pipelines/generators.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../functions/pipelines/generators.js')>()),
  generatorNames: ['taxi-rides'],
}));
vi.mock('../../../local/runtime/synth/app-pipelines.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../local/runtime/synth/app-pipelines.js')>();
  const root = mkdtempSync(join(tmpdir(), 'tributary-app-'));
  writeFileSync(
    join(root, 'cdk.json'),
    JSON.stringify({ context: { pipelines: 'taxi-rides,web-access-logs' } }),
  );
  return { ...original, notInApp: (pipeline: string) => original.notInApp(pipeline, root) };
});

// Refused before any service is started: should a check be missing, the command goes on to a
// LocalStack on a dead port (it starts none) and fails otherwise.
beforeEach(() => {
  vi.stubEnv('TRIBUTARY_LOCALSTACK_ENDPOINT', 'http://127.0.0.1:9');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const input = join(mkdtempSync(join(tmpdir(), 'tributary-input-')), 'events.jsonl');
writeFileSync(input, '{}\n');

describe('a pipeline of one\u2019s own, refused up front by start and produce', () => {
  it.each([
    ['start', () => startCommand.run(['--pipeline', 'web-access-logs'])],
    ['produce', () => produceCommand.run(['--pipeline', 'web-access-logs', '--events', '10'])],
  ])('without a seeded generator, by %s without --input, saying to give one', async (_, run) => {
    // Act
    const act = run();

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(
      'pipeline "web-access-logs" has no seeded generator (functions/pipelines/generators.ts has one for taxi-rides): give --input <file> with its events',
    );
  });

  it.each([
    ['start', () => startCommand.run(['--pipeline', 'click-sessions', '--input', input])],
    ['produce', () => produceCommand.run(['--pipeline', 'click-sessions', '--input', input])],
  ])('not deployed by the app, by %s, saying what to add to cdk.json', async (_, run) => {
    // Act
    const act = run();

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(
      'pipeline "click-sessions" is registered but the app does not deploy it: add it to "pipelines" in cdk.json\'s context (now taxi-rides,web-access-logs)',
    );
  });
});
