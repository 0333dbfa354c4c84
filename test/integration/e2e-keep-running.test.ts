import { afterAll, describe, expect, it } from 'vitest';
import { explain, type StartedRun, startCommand, startRun } from './helpers/e2e-run.js';
import { pollUntil } from './helpers/poll.js';

const RUN_TIMEOUT = 300_000;
const CAUGHT_UP = 'caught up; --keep-running';

// On Kinesis, and on the MSK app's topic on the local broker (tips are then the mapping's committed offsets).
describe.each([
  { transport: 'kinesis', args: [] },
  { transport: 'msk', args: ['--transport', 'msk'] },
])('tributary start --keep-running on $transport', ({ args }) => {
  let run: StartedRun | undefined;

  afterAll(async () => {
    run?.kill('SIGKILL');
    await run?.done;
    run = undefined;
  });

  it(
    'stays up after catching up, consumes events produced meanwhile, and on Ctrl-C flushes and reconciles them all',
    async () => {
      // Prepare: a small run that stays up once it caught up
      const started = startRun(
        ['--pipeline', 'taxi-rides', '--events', '200', '--seed', '5', '--keep-running', ...args],
        {},
        {
          ownProcessGroup: true,
        },
      );
      run = started;
      const waiting = await pollUntil(
        async () => started.stderr(),
        (stderr) => stderr.includes(CAUGHT_UP),
        { timeoutMs: 120_000 },
      );
      expect(waiting, 'the run says it caught up and keeps running').toContain(CAUGHT_UP);

      // Act: a second run of the same pipeline and stage is refused (it would reset this one's
      // stream and warehouse); more events from another process; then Ctrl-C
      const second = await startCommand('start', ['--pipeline', 'taxi-rides', '--events', '10', ...args])
        .done;
      const produce = await startCommand('produce', [
        '--pipeline',
        'taxi-rides',
        '--events',
        '120',
        '--seed',
        '6',
        ...args,
      ]).done;
      started.interrupt();
      const result = await started.done;

      // Assess
      expect(second.code, explain(second)).toBe(1);
      expect(second.stderr).toContain('another tributary start (pid');
      expect(produce.code, explain(produce)).toBe(0);
      expect(result.code, explain(result)).toBe(0);
      expect(result.summary).toMatchObject({ ok: true, produced: 200, writtenByOthers: 120, missing: 0 });
      expect(result.stdout).toContain('Reconciliation: MATCH');
      // Measured from the Ctrl-C, not from the last event the run itself produced.
      expect(result.stdout).toMatch(/last aggregate [0-9.]+ s after the stop/);
    },
    RUN_TIMEOUT,
  );
});
