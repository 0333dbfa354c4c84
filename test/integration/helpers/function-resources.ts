import { findFunction, listFunctions, touchedResources } from '../../../local/runtime/invoke/index.js';
import { type CloudAssembly, readLambdaFunction } from '../../../local/runtime/template/index.js';

/** The physical name of the resource of `type` that a function's environment names. */
export function resourceOf(app: CloudAssembly, functionQuery: string, type: string): string {
  const spec = readLambdaFunction(app, findFunction(listFunctions(app), functionQuery).resource);
  const found = touchedResources(app, spec.environment).find((r) => r.type === type);
  if (!found) throw new Error(`${functionQuery} names no ${type}`);
  return found.physicalName;
}

/** A variable of a function's environment as the template sets it. */
export function environmentOf(app: CloudAssembly, functionQuery: string, name: string): string {
  const spec = readLambdaFunction(app, findFunction(listFunctions(app), functionQuery).resource);
  const value = spec.environment[name];
  if (value === undefined) throw new Error(`${functionQuery} has no ${name} in its environment`);
  return value;
}
