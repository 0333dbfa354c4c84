import { randomUUID } from 'node:crypto';
import type { LambdaFunctionSpec } from '../template/index.js';
import { type LocalEndpoint, lambdaEnvironment } from './environment.js';
import { type FunctionError, LambdaInvokeError, PayloadTooLargeError } from './errors.js';
import { FunctionWorker } from './function-worker.js';
import type { LogSink } from './log-sink.js';

/** Lambda's synchronous invocation limit for request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The result of one invocation, as a synchronous `Invoke` reports it. */
export type InvokeResult = {
  readonly requestId: string;
  readonly durationMs: number;
  /** True when this invocation started a new execution environment (a cold start). */
  readonly coldStart: boolean;
} & (
  | {
      readonly ok: true /** The handler's return value after JSON round trip (undefined -> null). */;
      readonly payload: unknown;
    }
  | { readonly ok: false; readonly functionError: 'Unhandled'; readonly error: FunctionError }
);

/** Options of {@link LocalFunction}. */
export interface LocalFunctionOptions {
  readonly local: LocalEndpoint;
  readonly logs: LogSink;
  /**
   * Concurrent execution environments at most; invocations beyond wait (where Lambda would
   * throttle and the event source mapping retry).
   * @default the template's ReservedConcurrentExecutions, else 10
   */
  readonly maxConcurrency?: number;
  /** Variables set on top of the template's and Lambda's (tests, fault injection). */
  readonly environmentOverrides?: Readonly<Record<string, string>>;
}

/**
 * One function of the template, run locally: warm execution environments (child processes)
 * reused between invocations, as many as concurrent invocations need up to the concurrency cap,
 * the template's timeout enforced by ending the environment.
 */
export class LocalFunction {
  private readonly idle: FunctionWorker[] = [];
  private readonly waiting: (() => void)[] = [];
  private busy = 0;
  private closed = false;
  private readonly env: Record<string, string>;
  readonly maxConcurrency: number;

  constructor(
    readonly spec: LambdaFunctionSpec,
    private readonly options: LocalFunctionOptions,
  ) {
    this.env = lambdaEnvironment(spec, options.local, options.environmentOverrides);
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? spec.reservedConcurrency ?? 10);
  }

  /** Invokes the handler with `event` (any JSON value); resolves with the result or the function error. */
  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.closed) throw new LambdaInvokeError(`function ${this.spec.name} was closed`);
    const size = Buffer.byteLength(JSON.stringify(event) ?? 'null');
    if (size > MAX_PAYLOAD_BYTES) {
      throw new PayloadTooLargeError(
        `request payload of ${size} bytes exceeds Lambda's ${MAX_PAYLOAD_BYTES} byte limit (${this.spec.name})`,
      );
    }
    await this.acquire();
    let worker = this.idle.pop();
    const coldStart = worker === undefined || !worker.alive;
    if (!worker?.alive) worker = new FunctionWorker(this.spec, this.env, this.options.logs);
    const requestId = randomUUID();
    const started = Date.now();
    const { logs } = this.options;
    logs.write(this.spec.name, `START RequestId: ${requestId} Version: $LATEST`);
    try {
      const outcome = await worker.invoke(
        {
          type: 'invoke',
          id: requestId,
          event,
          deadlineMs: 0,
          context: {
            functionName: this.spec.name,
            functionVersion: '$LATEST',
            invokedFunctionArn: this.spec.arn,
            memoryLimitInMB: String(this.spec.memoryMb),
            awsRequestId: requestId,
            logGroupName: this.spec.logGroup,
            logStreamName: this.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
          },
        },
        this.spec.timeoutSeconds * 1000,
      );
      const durationMs = Date.now() - started;
      logs.write(this.spec.name, `END RequestId: ${requestId}`);
      const init =
        coldStart && worker.initDurationMs !== undefined ? ` Init Duration: ${worker.initDurationMs} ms` : '';
      logs.write(
        this.spec.name,
        `REPORT RequestId: ${requestId} Duration: ${durationMs} ms Memory Size: ${this.spec.memoryMb} MB${init}`,
      );
      if (outcome.kind === 'error') {
        if (!outcome.fatal && !this.closed) this.idle.push(worker);
        return {
          ok: false,
          functionError: 'Unhandled',
          error: outcome.error,
          requestId,
          durationMs,
          coldStart,
        };
      }
      if (!this.closed) this.idle.push(worker);
      else worker.kill();
      if (Buffer.byteLength(outcome.payload) > MAX_PAYLOAD_BYTES) {
        const errorMessage = `Response payload size (${Buffer.byteLength(outcome.payload)} bytes) exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`;
        return {
          ok: false,
          functionError: 'Unhandled',
          error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage },
          requestId,
          durationMs,
          coldStart,
        };
      }
      return { ok: true, payload: JSON.parse(outcome.payload), requestId, durationMs, coldStart };
    } finally {
      this.release();
    }
  }

  /** Execution environments currently alive (warm or busy). */
  get environments(): number {
    return this.idle.filter((w) => w.alive).length + this.busy;
  }

  /** Ends every execution environment; later invocations fail. */
  close(): void {
    this.closed = true;
    for (const worker of this.idle.splice(0)) worker.kill();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async acquire(): Promise<void> {
    while (this.busy >= this.maxConcurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed) throw new LambdaInvokeError(`function ${this.spec.name} was closed`);
    }
    this.busy += 1;
  }

  private release(): void {
    this.busy -= 1;
    this.waiting.shift()?.();
  }
}
