import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../local/cli/command.js';
import { parseServices, servicesCommand } from '../../../local/commands/services.js';

describe('tributary services arguments', () => {
  it.each([
    [[], 'expected a subcommand, one of up, down, status, logs, install (given none)'],
    [['start'], 'expected a subcommand, one of up, down, status, logs, install (given "start")'],
    [['up', 'redis'], 'unknown service "redis" (expected localstack or kafka)'],
    [['up', '--timeout', 'soon'], '--timeout must be a whole number >= 1 (given "soon")'],
    [['up', '--timeout', '0'], '--timeout must be a whole number >= 1 (given "0")'],
    [['down', '--docker'], 'unknown option --docker (this command takes no options)'],
    [['logs', 'kafka', '--lines'], 'services logs: --lines needs a value'],
    [['up', '--docker=yes'], 'services up: --docker takes no value'],
    [['logs'], 'expected exactly one service, localstack or kafka (given 0)'],
    [['logs', 'kafka', '--lines=-3'], '--lines must be a whole number >= 0 (given "-3")'],
    [['logs', 'kafka', '--lines', '-3'], '--lines must be a whole number >= 0 (given "-3")'],
    // A short option has no = form: its negative value is the option's too.
    [['logs', 'kafka', '-n', '-3'], '--lines must be a whole number >= 0 (given "-3")'],
    // After "--" every argument is a positional, a negative number too.
    [['logs', '--', '--lines', '-3'], 'expected exactly one service, localstack or kafka (given 2)'],
  ])('rejects %j with a UsageError that says what was expected', async (argv, message) => {
    // Act
    const act = servicesCommand.run(argv);

    // Assess
    await expect(act).rejects.toThrow(UsageError);
    await expect(act).rejects.toThrow(message);
  });

  it('acts on both services when none is named, in a fixed order', () => {
    expect(parseServices('up', [])).toEqual(['localstack', 'kafka']);
    expect(parseServices('up', ['kafka', 'localstack'])).toEqual(['localstack', 'kafka']);
    expect(parseServices('down', ['kafka'])).toEqual(['kafka']);
  });
});
