import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertLatestRun, markLatestRun, takeRunLock } from '../../../../local/runtime/start/run-lock.js';

const TARGET = { endpoint: 'http://127.0.0.1:4566', stage: 'e2e', pipeline: 'taxi-rides' };
// 2^22 + 1 is above Linux's pid_max: no process has it.
const DEAD_PID = 4_194_305;

// Each test gets its own state folder: the lock and the latest-run notes live in it.
let previous: string | undefined;
beforeEach(() => {
  previous = process.env.TRIBUTARY_STATE_DIR;
  process.env.TRIBUTARY_STATE_DIR = mkdtempSync(join(tmpdir(), 'tributary-run-lock-'));
});
afterEach(() => {
  if (previous === undefined) delete process.env.TRIBUTARY_STATE_DIR;
  else process.env.TRIBUTARY_STATE_DIR = previous;
});

describe('takeRunLock (one tributary start per pipeline, stage and LocalStack)', () => {
  it('refuses a second run of the same target while the first holds it, naming the holder', () => {
    const release = takeRunLock(TARGET);
    expect(() => takeRunLock(TARGET)).toThrow(
      `another tributary start (pid ${process.pid}) is running taxi-rides on e2e`,
    );
    release();
    takeRunLock(TARGET)();
  });

  it('lets runs of another pipeline, stage or LocalStack go at the same time', () => {
    const release = takeRunLock(TARGET);
    takeRunLock({ ...TARGET, pipeline: 'click-sessions' })();
    takeRunLock({ ...TARGET, stage: 'dev' })();
    takeRunLock({ ...TARGET, endpoint: 'http://127.0.0.1:4666' })();
    release();
  });

  it('takes over a lock left by a run that was killed', () => {
    const release = takeRunLock(TARGET);
    const runs = join(process.env.TRIBUTARY_STATE_DIR as string, 'runs');
    const [lock] = readdirSync(runs);
    release();
    writeFileSync(join(runs, lock as string), String(DEAD_PID));

    // Taken over: held by this process now, so a second run is refused again.
    const takenOver = takeRunLock(TARGET);
    expect(() => takeRunLock(TARGET)).toThrow(`another tributary start (pid ${process.pid})`);
    takenOver();
  });
});

describe('assertLatestRun (--run resumes only the run that last reset its target)', () => {
  it('refuses an older run once a later one reset the same target, naming the later one', () => {
    // Prepare
    markLatestRun(TARGET, 'run-1');
    markLatestRun(TARGET, 'run-2');

    // Act
    const resumeOld = () => assertLatestRun(TARGET, 'run-1', '.local/runs/run-1');

    // Assess
    expect(resumeOld).toThrow('--run .local/runs/run-1: a later run (run-2) has reset taxi-rides');
    expect(() => assertLatestRun(TARGET, 'run-2', '.local/runs/run-2')).not.toThrow();
  });

  it('lets a run resume when only other targets ran since, or when nothing was noted (older folders)', () => {
    // Prepare
    markLatestRun(TARGET, 'run-1');
    markLatestRun({ ...TARGET, stage: 'dev' }, 'run-2');
    markLatestRun({ ...TARGET, pipeline: 'click-sessions' }, 'run-3');

    // Act, Assess
    expect(() => assertLatestRun(TARGET, 'run-1', 'x')).not.toThrow();
    expect(() =>
      assertLatestRun({ ...TARGET, endpoint: 'http://127.0.0.1:4666' }, 'run-9', 'x'),
    ).not.toThrow();
  });
});
