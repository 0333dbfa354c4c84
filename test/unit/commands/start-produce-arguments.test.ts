import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../local/cli/command.js';
import { produceCommand } from '../../../local/commands/produce.js';
import { startCommand } from '../../../local/commands/start.js';

// Wrong arguments must be refused before a command starts services, synthesizes or provisions.
// Should a check be missing, the command goes on to a LocalStack that is not there (a dead port,
// so it starts none) and the case fails, by the test's timeout at the latest.
beforeEach(() => {
  vi.stubEnv('TRIBUTARY_LOCALSTACK_ENDPOINT', 'http://127.0.0.1:9');
  vi.stubEnv('TRIBUTARY_FAULTS', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const folder = mkdtempSync(join(tmpdir(), 'tributary-arguments-'));
const missing = join(folder, 'missing.jsonl');

describe('tributary start arguments', () => {
  it.each([
    [
      ['--pipeline', 'stocks'],
      '--pipeline must be one of click-sessions, taxi-rides, web-access-logs (given "stocks")',
    ],
    [['--events', 'many'], '--events must be a whole number >= 1 (given "many")'],
    [['--events', '0'], '--events must be a whole number >= 1 (given "0")'],
    // A negative number is the option's value (parseArgs alone calls it an "ambiguous" argument).
    [['--events', '-5'], '--events must be a whole number >= 1 (given "-5")'],
    [['--rate', '-1.5'], '--rate must be a whole number >= 0 (given "-1.5")'],
    [['--rate', '5', '--duration', '10'], 'give --rate or --duration, not both'],
    [['--input', missing, '--events', '5'], 'give --events or --input, not both'],
    [['--run', folder, '--events', '5'], '--run repeats a run folder as it was'],
    [['--run', folder, '--duration', '60'], '--run repeats a run folder as it was'],
    [
      ['--input', missing],
      `--input ${missing}: no such file (expected JSON lines, CSV, TSV or an access log)`,
    ],
    [['--input', folder], `--input ${folder}: not a file (expected JSON lines, CSV, TSV or an access log)`],
    [
      ['--run', folder],
      `--run ${folder}: not a run folder (expected ${join(folder, 'run.json')}, which a run writes first)`,
    ],
    [['--input'], "Option '--input <value>' argument missing"],
  ])('refuses %j up front with a UsageError that says what was expected', async (argv, message) => {
    // Act
    const act = startCommand.run(argv);

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(message);
  });

  it('refuses TRIBUTARY_FAULTS that is not JSON as a usage error', async () => {
    // Arrange
    vi.stubEnv('TRIBUTARY_FAULTS', '{crashOn');

    // Act
    const act = startCommand.run([]);

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow('TRIBUTARY_FAULTS: not valid JSON');
  });
});

describe('tributary produce arguments', () => {
  it.each([
    [[], '--pipeline is required'],
    [['--pipeline', 'taxi-rides', '--input', missing, '--events', '3'], 'give --events or --input, not both'],
    [['--pipeline', 'taxi-rides', '--input', missing], `--input ${missing}: no such file`],
    [['--pipeline', 'taxi-rides', '--input', folder], `--input ${folder}: not a file`],
    [['--pipeline', 'taxi-rides', '--events', '0'], '--events must be a whole number >= 1 (given "0")'],
    [['--pipeline', 'taxi-rides', '--rate', '-20'], '--rate must be a whole number >= 0 (given "-20")'],
    [
      ['--pipeline', 'taxi-rides', '--stream', 's', '--stage', 'e2e'],
      'give --stream (a stream in AWS) or --stage',
    ],
  ])('refuses %j up front with a UsageError', async (argv, message) => {
    // Act
    const act = produceCommand.run(argv);

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(message);
  });

  it('--stream without an AWS region says what to set (the SDK says only "Region is missing")', async () => {
    // Arrange: no region from the environment or a config file, so the SDK stops before any request
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_CONFIG_FILE', join(folder, 'no-config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(folder, 'no-credentials'));

    // Act
    const act = produceCommand.run(['--pipeline', 'taxi-rides', '--stream', 's', '--events', '1']);

    // Assess
    await expect(act).rejects.toThrow(/^Region is missing: --stream writes to AWS .*set AWS_REGION/);
  });
});
