import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LambdaFunctionSpec } from '../template/index.js';
import type { FunctionError } from './errors.js';
import type { LogSink } from './log-sink.js';
import { lambdaNodeArgs } from './node-args.js';
import { ChildMessage, type InvokeMessage } from './protocol.js';

/** bootstrap.mjs writes it to stdout and stderr after each invocation's output. */
const DONE_MARKER = '\u0000tributary-invocation-done ';

const bootstrap = fileURLToPath(new URL('./bootstrap.mjs', import.meta.url));

/** Lambda gives the init phase 10 s of its own, apart from the function's timeout. */
const INIT_TIMEOUT_MS = 10_000;

/** What one invocation in one execution environment ended with. */
export type InvokeOutcome =
  | { readonly kind: 'result'; readonly payload: string }
  /** `fatal`: the environment is gone (timeout, crash, exit); the next invocation starts a new one. */
  | { readonly kind: 'error'; readonly error: FunctionError; readonly fatal: boolean };

/**
 * One execution environment: a child process running bootstrap.mjs with the function's bundle,
 * kept warm between invocations (module state survives), killed when an invocation times out.
 */
export class FunctionWorker {
  private readonly child: ChildProcess;
  private readonly ready: Promise<FunctionError | undefined>;
  private pending: ((outcome: InvokeOutcome) => void) | undefined;
  private crash: FunctionError | undefined;
  private exited = false;
  readonly startedAt = Date.now();
  /** How long the init phase (importing the handler module) took, once it is done. */
  initDurationMs: number | undefined;

  constructor(
    private readonly spec: LambdaFunctionSpec,
    env: Readonly<Record<string, string>>,
    readonly logs: LogSink,
  ) {
    this.child = fork(bootstrap, [spec.entryFile, spec.exportName], {
      cwd: spec.codeDir,
      env,
      // The heap Lambda gives the function's memory; the template's NODE_OPTIONS still apply via env.
      execArgv: lambdaNodeArgs(spec.memoryMb),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        // Output without a final newline ends up on the marker's line.
        const at = line.indexOf(DONE_MARKER);
        if (at < 0) return logs.write(spec.name, line);
        if (at > 0) logs.write(spec.name, line.slice(0, at));
        this.markerSeen();
      });
    }
    this.ready = new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        resolve({
          errorType: 'Runtime.InitTimeout',
          errorMessage: `init did not finish within ${INIT_TIMEOUT_MS} ms`,
        });
      }, INIT_TIMEOUT_MS);
      const settle = (error: FunctionError | undefined) => {
        clearTimeout(timer);
        this.initDurationMs = Date.now() - this.startedAt;
        resolve(error);
      };
      this.child.on('message', (raw) => {
        const message = ChildMessage.safeParse(raw);
        if (!message.success) return;
        const m = message.data;
        if (m.type === 'ready') settle(undefined);
        else if (m.type === 'init-error') settle(m.error);
        else if (m.type === 'crash') this.crash = m.error;
        else {
          this.returned =
            m.type === 'result'
              ? { kind: 'result', payload: m.payload }
              : { kind: 'error', error: m.error, fatal: false };
          this.completeWhenLogsRead();
        }
      });
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        settle(this.crash ?? { errorType: 'Runtime.ExitError', errorMessage: exitMessage(code, signal) });
        const error = this.crash ?? {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${this.requestId} Error: ${exitMessage(code, signal)}`,
        };
        this.finish({ kind: 'error', error, fatal: true });
      });
    });
  }

  private requestId = '';
  private returned: InvokeOutcome | undefined;
  private markers = 0;

  private markerSeen(): void {
    this.markers += 1;
    this.completeWhenLogsRead();
  }

  /** The result arrived and both output streams were read up to the handler's end marker. */
  private completeWhenLogsRead(): void {
    if (this.returned === undefined || this.markers < 2) return;
    const outcome = this.returned;
    this.returned = undefined;
    this.markers = 0;
    this.finish(outcome);
  }

  /** False once the process exited or was killed; such a worker is replaced. */
  get alive(): boolean {
    return !this.exited && this.child.exitCode === null && !this.child.killed;
  }

  /** Runs one invocation; resolves (never rejects) with its result or Lambda-style error. */
  async invoke(message: InvokeMessage, timeoutMs: number): Promise<InvokeOutcome> {
    const initError = await this.ready;
    if (initError) {
      this.kill();
      return { kind: 'error', error: initError, fatal: true };
    }
    this.requestId = message.context.awsRequestId;
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        // Lambda ends the execution environment of a timed-out invocation: its state is lost.
        this.finish({
          kind: 'error',
          fatal: true,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${message.context.awsRequestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          },
        });
        this.kill();
      }, timeoutMs);
      this.pending = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      if (!this.alive) {
        this.finish({
          kind: 'error',
          fatal: true,
          error: { errorType: 'Runtime.ExitError', errorMessage: 'runtime exited' },
        });
        return;
      }
      this.child.send({ ...message, deadlineMs: Date.now() + timeoutMs });
    });
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  private finish(outcome: InvokeOutcome): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.(outcome);
  }

  toString(): string {
    return `${this.spec.name} (pid ${this.child.pid})`;
  }
}

function exitMessage(code: number | null, signal: NodeJS.Signals | null): string {
  return `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`;
}
