/**
 * `tributary invoke`: one function of the synthesized app run once, locally, against LocalStack.
 *
 * - `listFunctions(assembly)` / `findFunction(entries, query)`: the functions with their event
 *   sources; a function is named by construct path, logical id, local name or ARN.
 * - `readEventFile(path)`: the event, or an {@link EventFileError} naming the file.
 * - `classifyEvent(event)`: which AWS source's shape an event has (to warn about mismatches).
 * - `invokeFunction(options)`: provisions what the function's environment names, runs the
 *   Firehose emulation for its delivery streams, invokes it once.
 */
export { EventFileError, ProvisionError, UnknownFunctionError } from './errors.js';
export { readEventFile } from './event-file.js';
export { classifyEvent, describeKind, type EventKind, fitsSource } from './event-kind.js';
export { type EventSourceInfo, type FunctionEntry, findFunction, listFunctions } from './function-catalog.js';
export { type InvokeFunctionOptions, type InvokeOutcome, invokeFunction } from './invoke-function.js';
export {
  type ProvisionClients,
  type ProvisionedResource,
  provisionResources,
  queueDepths,
  touchedResources,
} from './provision.js';
