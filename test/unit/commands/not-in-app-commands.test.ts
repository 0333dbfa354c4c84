import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../local/cli/command.js';
import { produceCommand } from '../../../local/commands/produce.js';
import { startCommand } from '../../../local/commands/start.js';

// As if cdk.json listed taxi-rides only.
vi.mock('../../../local/runtime/synth/app-pipelines.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../local/runtime/synth/app-pipelines.js')>();
  const root = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/tributary-app-`);
  (await import('node:fs')).writeFileSync(
    `${root}/cdk.json`,
    JSON.stringify({ context: { pipelines: 'taxi-rides' } }),
  );
  return { ...original, notInApp: (pipeline: string) => original.notInApp(pipeline, root) };
});

// Refused before any service is started: should the check be missing, the command goes on to a
// LocalStack on a dead port (it starts none) and fails otherwise.
beforeEach(() => {
  vi.stubEnv('TRIBUTARY_LOCALSTACK_ENDPOINT', 'http://127.0.0.1:9');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('a registered pipeline the app does not deploy', () => {
  it.each([
    ['start', () => startCommand.run(['--pipeline', 'click-sessions'])],
    ['produce', () => produceCommand.run(['--pipeline', 'click-sessions', '--events', '10'])],
  ])('is refused by %s up front, saying what to add to cdk.json', async (_, run) => {
    // Act
    const act = run();

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(
      'pipeline "click-sessions" is registered but the app does not deploy it: add it to "pipelines" in cdk.json\'s context (now taxi-rides)',
    );
  });
});
