import {
  type CloudAssembly,
  type LambdaFunctionSpec,
  readLambdaFunction,
  type TemplateResource,
} from '../template/index.js';
import type { LocalEndpoint } from './environment.js';
import { LocalFunction } from './local-function.js';
import { type LogSink, stderrLogSink } from './log-sink.js';

/** Options of {@link LocalLambdaRuntime}. */
export interface LocalLambdaRuntimeOptions {
  /** The local endpoint and region the functions' SDK clients use. */
  readonly local: LocalEndpoint;
  /** @default stderr */
  readonly logs?: LogSink;
  /** Extra environment per function (tests, fault injection), by function spec. */
  readonly environmentOverrides?: (spec: LambdaFunctionSpec) => Readonly<Record<string, string>> | undefined;
  /** @default the template's reserved concurrency, else 10 */
  readonly maxConcurrency?: number;
}

/**
 * The functions of a synthesized app, run locally on demand: one {@link LocalFunction} per
 * template function, created at its first use and shared by every caller (event source mappings,
 * `tributary invoke`), so warm environments are reused across them.
 */
export class LocalLambdaRuntime {
  private readonly functions = new Map<string, LocalFunction>();

  constructor(
    private readonly assembly: CloudAssembly,
    private readonly options: LocalLambdaRuntimeOptions,
  ) {}

  /** The function for a template resource, or for a logical id / construct path / name / ARN. */
  function(target: TemplateResource | string): LocalFunction {
    const resource =
      typeof target === 'string' ? this.assembly.find(target, 'AWS::Lambda::Function') : target;
    const key = `${resource.stackName}/${resource.logicalId}`;
    let fn = this.functions.get(key);
    if (!fn) {
      const spec = readLambdaFunction(this.assembly, resource);
      fn = new LocalFunction(spec, {
        local: this.options.local,
        logs: this.options.logs ?? stderrLogSink,
        maxConcurrency: this.options.maxConcurrency,
        environmentOverrides: this.options.environmentOverrides?.(spec),
      });
      this.functions.set(key, fn);
    }
    return fn;
  }

  /** Ends every execution environment of every function. */
  close(): void {
    for (const fn of this.functions.values()) fn.close();
    this.functions.clear();
  }
}
