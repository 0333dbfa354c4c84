import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../local/cli/command.js';
import { produceCommand } from '../../../local/commands/produce.js';
import { startCommand } from '../../../local/commands/start.js';

// Every example has a generator. A pipeline of one's own need not: as if only taxi-rides had one.
vi.mock('../../../functions/pipelines/generators.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../functions/pipelines/generators.js')>()),
  generatorNames: ['taxi-rides'],
}));

// Refused before any service is started: should the check be missing, the command goes on to a
// LocalStack on a dead port (it starts none) and fails otherwise.
beforeEach(() => {
  vi.stubEnv('TRIBUTARY_LOCALSTACK_ENDPOINT', 'http://127.0.0.1:9');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('a pipeline without a seeded generator', () => {
  it.each([
    ['start', () => startCommand.run(['--pipeline', 'click-sessions'])],
    ['produce', () => produceCommand.run(['--pipeline', 'click-sessions', '--events', '10'])],
  ])('is refused by %s without --input, saying to give one', async (_, run) => {
    // Act
    const act = run();

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(
      'pipeline "click-sessions" has no seeded generator (functions/pipelines/generators.ts has one for taxi-rides): give --input <file> with its events',
    );
  });
});
