import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pipelineNames } from '../../../functions/pipelines/index.js';
import { parseContext } from '../../../infra/context.js';
import { UsageError } from '../../../local/cli/command.js';
import { parseStage } from '../../../local/cli/parse-options.js';
import { produceCommand, withLocalSetupHint } from '../../../local/commands/produce.js';
import { startCommand } from '../../../local/commands/start.js';
import { rejectionLines } from '../../../local/runtime/start/input.js';

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
const empty = join(folder, 'empty.jsonl');
writeFileSync(empty, '\n\n');
/** A run folder as `start --stage <stage>` leaves it (null: made without --stage). */
function runMadeWith(stage: string | null, transport?: 'msk'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-run-'));
  const spec = {
    id: 'r',
    pipeline: 'taxi-rides',
    events: 10,
    rate: 0,
    seed: 1,
    input: null,
    stage,
    ...(transport ? { transport } : {}),
    createdAt: '',
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(spec));
  return dir;
}
const e2eRun = runMadeWith('e2e');
const defaultRun = runMadeWith(null);
const mskRun = runMadeWith(null, 'msk');

describe('tributary start arguments', () => {
  it.each([
    [['--pipeline', 'stocks'], `--pipeline must be one of ${pipelineNames.join(', ')} (given "stocks")`],
    [['--events', 'many'], '--events must be a whole number >= 1 (given "many")'],
    [['--events', '1e3'], '--events must be a whole number >= 1 (given "1e3")'],
    [['--events', '0'], '--events must be a whole number >= 1 (given "0")'],
    // A negative number is the option's value (parseArgs alone calls it an "ambiguous" argument).
    [['--events', '-5'], '--events must be a whole number >= 1 (given "-5")'],
    [['--rate', '-1.5'], '--rate must be a whole number >= 0 (given "-1.5")'],
    [['--rate', '5', '--duration', '10'], 'give --rate or --duration, not both'],
    [['--input', missing, '--events', '5'], 'give --events or --input, not both'],
    // Read before any service starts: nothing to produce is a usage error, not a run.
    [['--input', empty], `--input ${empty}: no events in it (blank, or a header row alone)`],
    [['--input', ''], '--input needs a value, and was given an empty one'],
    [['--run', folder, '--events', '5'], '--run resumes a run folder as it was'],
    [['--run', folder, '--duration', '60'], '--run resumes a run folder as it was'],
    [
      ['--input', missing],
      `--input ${missing}: no such file (expected JSON lines, CSV, TSV or an access log)`,
    ],
    [['--input', folder], `--input ${folder}: not a file (expected JSON lines, CSV, TSV or an access log)`],
    [
      ['--run', folder],
      `--run ${folder}: not a run folder (expected ${join(folder, 'run.json')}, which a run writes first)`,
    ],
    [['--input'], '--input needs a value'],
    [
      ['--run', e2eRun, '--stage', 'dev'],
      `--run ${e2eRun} was made with --stage e2e: give that stage or none (given --stage dev)`,
    ],
    [
      ['--run', defaultRun, '--stage', 'e2e'],
      `--run ${defaultRun} was made without --stage: give none (given --stage e2e)`,
    ],
    [['--transport', 'kafka'], '--transport must be kinesis or msk (given "kafka")'],
    [
      ['--stage', 'Bad Stage'],
      '--stage must be lower-case letters, digits and dashes, starting with a letter, at most 31 characters (given "Bad Stage")',
    ],
    [['--stage', ''], '--stage needs a value, and was given an empty one'],
    [
      ['--run', defaultRun, '--transport', 'msk'],
      `--run ${defaultRun} was made with --transport kinesis: give that transport or none (given --transport msk)`,
    ],
    [
      ['--run', mskRun, '--transport', 'kinesis'],
      `--run ${mskRun} was made with --transport msk: give that transport or none (given --transport kinesis)`,
    ],
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
    [['--pipeline', 'taxi-rides', '--input', empty], `--input ${empty}: no events in it`],
    // An unset variable in `--stream "$S"` must not send the events to LocalStack instead.
    [
      ['--pipeline', 'taxi-rides', '--events', '1', '--stream', ''],
      '--stream needs a value, and was given an empty one',
    ],
    [['--pipeline', 'taxi-rides', '--events', '0'], '--events must be a whole number >= 1 (given "0")'],
    [['--pipeline', 'taxi-rides', '--rate', '-20'], '--rate must be a whole number >= 0 (given "-20")'],
    [
      ['--pipeline', 'taxi-rides', '--stream', 's', '--stage', 'e2e'],
      'give --stream (a stream in AWS) or --stage',
    ],
    [
      ['--pipeline', 'taxi-rides', '--transport', 'kafka'],
      '--transport must be kinesis or msk (given "kafka")',
    ],
    [['--pipeline', 'taxi-rides', '--stage', 'QA'], '--stage must be lower-case letters'],
    [
      ['--pipeline', 'taxi-rides', '--transport', 'msk', '--stream', 's'],
      '--stream writes to a Kinesis stream in AWS; an MSK Serverless cluster is reachable only from inside its VPC',
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

describe('tributary produce errors on the local stack', () => {
  it('says to run start first when the stage has no stream, and services up when LocalStack is down', () => {
    // Prepare
    const missing = Object.assign(new Error('Stream arn ... not found'), {
      name: 'ResourceNotFoundException',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    const other = new Error('ThrottlingException');

    // Act
    const hints = [missing, refused, other].map((error) =>
      withLocalSetupHint(error, 'tributary-e2e-taxi-rides', 'e2e'),
    );

    // Assess
    expect(String(hints[0])).toContain(
      'the local stream tributary-e2e-taxi-rides does not exist yet; `npx tributary start --pipeline <name> --stage e2e` creates',
    );
    expect(String(hints[1])).toContain(
      'LocalStack is not running; start it with `npx tributary services up`',
    );
    expect(hints[2]).toBe(other);
  });
});

describe('tributary produce --transport msk errors on the local broker', () => {
  it('says to run start --transport msk first when the topic is missing, and services up when the broker is down', () => {
    // Prepare: the errors kafkajs gives for each
    const missing = Object.assign(new Error('This server does not host this topic-partition'), {
      name: 'KafkaJSProtocolError',
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    const down = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), {
      name: 'KafkaJSConnectionError',
    });
    const other = new Error('The producer is fenced');

    // Act
    const hints = [missing, down, other].map((error) =>
      withLocalSetupHint(error, 'tributary-dev-taxi-rides', undefined, 'msk'),
    );

    // Assess
    expect(String(hints[0])).toContain(
      'the local topic tributary-dev-taxi-rides does not exist yet; `npx tributary start --pipeline <name> --transport msk` creates',
    );
    expect(String(hints[1])).toContain(
      'the local Kafka broker is not running; start it with `npx tributary services up`',
    );
    expect(hints[2]).toBe(other);
  });
});

describe('tributary produce rejection report', () => {
  it('names rejected records by their file line and keeps different reasons apart, however long', () => {
    // Prepare: two reasons that share their first 300 characters
    const common = `invalid event: ${'x'.repeat(300)}`;
    const rejected = [
      { index: 0, reason: 'not JSON' },
      { index: 2, reason: `${common} VendorID` },
      { index: 3, reason: `${common} fare_amount` },
    ];
    const input = [5, 7, 8, 9].map((line) => ({ text: '', arrivalMs: 0, line }));

    // Act
    const lines = rejectionLines(rejected, input, true);

    // Assess
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('  1 x not JSON (input lines 5)');
    expect(lines[1]).toMatch(/^ {2}1 x invalid event: x+\.\.\. \(input lines 8\)$/);
    expect(lines[2]).toMatch(/\(input lines 9\)$/);
  });

  it('numbers generated events from 1', () => {
    // Act
    const lines = rejectionLines([{ index: 0, reason: 'bad' }], [{ text: '', arrivalMs: 0 }], false);

    // Assess
    expect(lines).toEqual(['  1 x bad (events 1)']);
  });
});

describe('--stage names', () => {
  it.each(['dev', 'e2e', 'a', 'team-7', 'a'.repeat(31), '', 'Dev', '7up', 'qa_1', 'a b', 'a'.repeat(32)])(
    '%j: the CLI accepts it exactly when the CDK app does',
    (stage) => {
      // Act
      const cli = (() => {
        try {
          return parseStage(stage) === stage;
        } catch {
          return false;
        }
      })();
      const cdk = (() => {
        try {
          return parseContext({ stage, pipelines: 'taxi-rides' }).stage === stage;
        } catch {
          return false;
        }
      })();

      // Assess
      expect(cli).toBe(cdk);
    },
  );
});
