import { fileURLToPath } from 'node:url';
import { LocalFunction, LocalLambdaRuntime, type LocalLambdaRuntimeOptions } from '../lambda/index.js';
import type { CloudAssembly, LambdaFunctionSpec, TemplateResource } from '../template/index.js';
import { readLambdaFunction } from '../template/index.js';

/** Faults the local runtime injects into one function's execution environments (tests only). */
export interface FaultPlan {
  /** The function (its PIPELINE_NAME-bearing aggregator, by name) the faults apply to. */
  readonly functionName: string;
  /**
   * Invocation numbers (1-based, across environments) whose environment is SIGKILLed mid-batch:
   * at its first PUT request (the checkpoint write, after the results went to Firehose).
   */
  readonly crashOn?: readonly number[];
  /**
   * The first invocation that sends results to Firehose is SIGKILLed at its checkpoint write:
   * the results are delivered, the checkpoint is not, the retry sends them again.
   */
  readonly crashAfterResults?: boolean;
  /** Invocation numbers whose environment hangs at once until the timeout ends it. */
  readonly hangOn?: readonly number[];
  /** A crash invocation without a PUT request is killed this long into it. @default 2000 */
  readonly afterMs?: number;
  /** Replaces the template's timeout (a hang test cannot wait the aggregator's 5 minutes). */
  readonly timeoutSeconds?: number;
  /** Numbers the invocations; lives in the run folder. */
  readonly counterFile: string;
}

const preload = fileURLToPath(new URL('./fault-preload.mjs', import.meta.url));

/** The environment variables that load the fault preload into the function's environments. */
export function faultEnvironment(spec: LambdaFunctionSpec, plan: FaultPlan): Record<string, string> {
  return {
    NODE_OPTIONS: `${spec.environment.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
    TRIBUTARY_FAULTS: JSON.stringify({
      counterFile: plan.counterFile,
      crashOn: plan.crashOn ?? [],
      crashAfterResults: plan.crashAfterResults ?? false,
      hangOn: plan.hangOn ?? [],
      afterMs: plan.afterMs ?? 2000,
    }),
  };
}

/**
 * The local Lambda runtime with faults injected from outside the handler: the preload kills or
 * hangs the execution environment, and the runtime's own crash and timeout handling answers the
 * event source mapping, as Lambda would. Production handlers carry no test hook.
 */
export class FaultInjectingLambdaRuntime extends LocalLambdaRuntime {
  private readonly faulty = new Map<string, LocalFunction>();

  constructor(
    private readonly templateAssembly: CloudAssembly,
    private readonly runtimeOptions: LocalLambdaRuntimeOptions,
    private readonly plan: FaultPlan,
  ) {
    super(templateAssembly, runtimeOptions);
  }

  override function(target: TemplateResource | string): LocalFunction {
    const resource =
      typeof target === 'string' ? this.templateAssembly.find(target, 'AWS::Lambda::Function') : target;
    const spec = readLambdaFunction(this.templateAssembly, resource);
    if (spec.name !== this.plan.functionName) return super.function(resource);
    let fn = this.faulty.get(spec.name);
    if (!fn) {
      const timed = { ...spec, timeoutSeconds: this.plan.timeoutSeconds ?? spec.timeoutSeconds };
      fn = new LocalFunction(timed, {
        local: this.runtimeOptions.local,
        logs: this.runtimeOptions.logs ?? { write: () => {} },
        maxConcurrency: this.runtimeOptions.maxConcurrency,
        environmentOverrides: {
          ...this.runtimeOptions.environmentOverrides?.(spec),
          ...faultEnvironment(spec, this.plan),
        },
      });
      this.faulty.set(spec.name, fn);
    }
    return fn;
  }

  override close(): void {
    for (const fn of this.faulty.values()) fn.close();
    this.faulty.clear();
    super.close();
  }
}
