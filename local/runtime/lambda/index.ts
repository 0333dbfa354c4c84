/**
 * Local Lambda execution: each template function runs its bundled handler in warm child processes
 * (module state kept between invocations), with the template's timeout, memory and environment,
 * and AWS_ENDPOINT_URL pointing every SDK client at LocalStack.
 */
export type { LocalEndpoint } from './environment.js';
export { lambdaEnvironment } from './environment.js';
export { type FunctionError, LambdaInvokeError } from './errors.js';
export { LocalLambdaRuntime, type LocalLambdaRuntimeOptions } from './lambda-runtime.js';
export {
  type InvokeResult,
  LocalFunction,
  type LocalFunctionOptions,
  MAX_PAYLOAD_BYTES,
} from './local-function.js';
export { fileLogSink, type LogSink, memoryLogSink, stderrLogSink } from './log-sink.js';
export {
  readScheduledRules,
  type ScheduledRule,
  type ScheduleProgress,
  ScheduleRunner,
  type ScheduleRunnerOptions,
  scheduledEvent,
} from './schedule-runner.js';
