import { afterEach, describe, expect, it } from 'vitest';
import { LocalFunction } from '../../../../local/runtime/lambda/local-function.js';
import { memoryLogSink } from '../../../../local/runtime/lambda/log-sink.js';
import type { LambdaFunctionSpec } from '../../../../local/runtime/template/index.js';
import { basicSpec } from './spec-factory.js';

const local = { endpoint: 'http://127.0.0.1:4566', region: 'us-east-1' };
const opened: LocalFunction[] = [];

function open(spec: LambdaFunctionSpec, overrides?: Record<string, string>) {
  const logs = memoryLogSink();
  const fn = new LocalFunction(spec, { local, logs, environmentOverrides: overrides });
  opened.push(fn);
  return { fn, logs };
}

afterEach(() => {
  for (const fn of opened.splice(0)) fn.close();
});

describe('LocalFunction', () => {
  it('keeps module state between warm invocations in the same process', async () => {
    // Prepare
    const { fn } = open(basicSpec('count'));

    // Act
    const first = await fn.invoke({});
    const second = await fn.invoke({});

    // Assess
    expect(first).toMatchObject({ ok: true, coldStart: true, payload: { invocations: 1 } });
    expect(second).toMatchObject({ ok: true, coldStart: false, payload: { invocations: 2 } });
    if (first.ok && second.ok)
      expect(second.payload).toMatchObject({ pid: (first.payload as { pid: number }).pid });
  });

  it("ends an invocation that outlives the template's timeout with Lambda's timeout error, then starts fresh", async () => {
    // Prepare
    const { fn } = open(basicSpec('sleep', { timeoutSeconds: 1 }));

    // Act
    const started = Date.now();
    const timedOut = await fn.invoke({ sleepMs: 5_000 });
    const elapsed = Date.now() - started;
    const next = await fn.invoke({ sleepMs: 10 });

    // Assess
    expect(timedOut.ok).toBe(false);
    if (!timedOut.ok) {
      expect(timedOut.error.errorType).toBe('Sandbox.Timedout');
      expect(timedOut.error.errorMessage).toMatch(/Task timed out after 1\.00 seconds$/);
    }
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(3_000);
    expect(next).toMatchObject({ ok: true, coldStart: true, payload: { slept: 10 } });
  });

  it('reports a thrown error with its name as errorType and keeps the environment warm', async () => {
    // Prepare
    const { fn } = open(basicSpec('fail'));

    // Act
    const first = await fn.invoke({ id: 7 });
    const second = await fn.invoke({ id: 8 });

    // Assess
    expect(first).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      error: { errorType: 'PoisonRecordError', errorMessage: 'cannot process {"id":7}' },
    });
    expect(second.coldStart).toBe(false);
  });

  it('reports a process exit mid-invocation as Runtime.ExitError', async () => {
    // Prepare
    const { fn } = open(basicSpec('crash'));

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    if (!result.ok) expect(result.error.errorMessage).toContain('exit status 3');
  });

  it("gives the handler the template's variables, Lambda's own and the local endpoint, and nothing of the parent", async () => {
    // Prepare
    process.env.TRIBUTARY_LEAK_CHECK = 'leaked';
    const { fn, logs } = open(basicSpec('env', { timeoutSeconds: 7, memoryMb: 256 }), { EXTRA: 'yes' });

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const seen = result.payload as {
      env: Record<string, string>;
      remainingMs: number;
      memoryLimitInMB: string;
    };
    expect(seen.env).toMatchObject({
      TABLE: 'local-table',
      EXTRA: 'yes',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'basic-env',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_ACCESS_KEY_ID: 'test',
    });
    expect(seen.env.TRIBUTARY_LEAK_CHECK).toBeUndefined();
    expect(seen.memoryLimitInMB).toBe('256');
    expect(seen.remainingMs).toBeGreaterThan(6_000);
    expect(seen.remainingMs).toBeLessThanOrEqual(7_000);
    expect(logs.lines.some((l) => /\tINFO\tenv handler called$/.test(l))).toBe(true);
    expect(logs.lines.some((l) => l.startsWith('[basic-env] REPORT RequestId: '))).toBe(true);
  });

  it("starts the environment with the heap Lambda's Node.js bootstrap gives the function's memory", async () => {
    // Prepare: 512 MB -> a tenth (51 MB) young, two semi-spaces of 25 MB; 461 MB old
    const { fn } = open(basicSpec('heap', { memoryMb: 512 }));

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const seen = result.payload as { execArgv: string[]; heapSizeLimitMb: number; gcExposed: boolean };
    expect(seen.execArgv).toEqual(
      expect.arrayContaining(['--expose-gc', '--max-semi-space-size=25', '--max-old-space-size=461']),
    );
    expect(seen.gcExposed).toBe(true);
    // V8's limit is the old generation plus the young one (semi-spaces and large objects).
    expect(seen.heapSizeLimitMb).toBeGreaterThanOrEqual(461);
    expect(seen.heapSizeLimitMb).toBeLessThanOrEqual(461 + 4 * 25);
  });

  it("writes console output as JSON lines when the template's LoggingConfig asks for JSON", async () => {
    // Prepare
    const { fn, logs } = open(basicSpec('env', { logFormat: 'JSON' }));

    // Act
    const result = await fn.invoke({});

    // Assess
    const line = logs.lines.find((l) => l.includes('env handler called'))?.replace('[basic-env] ', '');
    expect(JSON.parse(line ?? '{}')).toEqual({
      timestamp: expect.any(String),
      level: 'INFO',
      requestId: result.requestId,
      message: 'env handler called',
    });
  });

  it("reports the invocation only after the function's log lines, even one without a final newline", async () => {
    // Prepare
    const { fn, logs } = open(basicSpec('partialLine'));

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result).toMatchObject({ ok: true, payload: 'done' });
    const at = logs.lines.indexOf('[basic-partialLine] no newline at the end');
    expect(at).toBeGreaterThan(0);
    expect(logs.lines[at + 1]).toMatch(/^\[basic-partialLine\] END RequestId: /);
  });

  it('supports callback-style handlers and returns null for undefined results', async () => {
    // Prepare
    const callback = open(basicSpec('callback')).fn;
    const nothing = open(basicSpec('nothing')).fn;

    // Act
    const echoed = await callback.invoke({ a: 1 });
    const empty = await nothing.invoke({});

    // Assess
    expect(echoed).toMatchObject({ ok: true, payload: { echoed: { a: 1 } } });
    expect(empty).toMatchObject({ ok: true, payload: null });
  });

  it('runs concurrent invocations in separate environments up to the concurrency cap', async () => {
    // Prepare
    const { fn } = open(basicSpec('sleep'));

    // Act
    const results = await Promise.all([1, 2, 3].map(() => fn.invoke({ sleepMs: 400 })));
    const capped = new LocalFunction(basicSpec('sleep'), { local, logs: memoryLogSink(), maxConcurrency: 1 });
    opened.push(capped);
    const serial = await Promise.all([1, 2].map(() => capped.invoke({ sleepMs: 50 })));

    // Assess
    const pids = (rs: typeof results) =>
      new Set(rs.map((r) => (r.ok ? (r.payload as { pid: number }).pid : 0)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(pids(results).size).toBe(3);
    expect(fn.environments).toBe(3);
    expect(pids(serial).size).toBe(1);
  });

  it('reports a missing export as Runtime.HandlerNotFound', async () => {
    // Prepare
    const { fn } = open(basicSpec('doesNotExist'));

    // Act
    const result = await fn.invoke({});

    // Assess
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.HandlerNotFound' } });
  });
});
