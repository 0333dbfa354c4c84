import type { AnyPipeline } from '../core/pipeline.js';
import { clickSessions } from './click-sessions/pipeline.js';
import { taxiRides } from './taxi-rides/pipeline.js';
import { webAccessLogs } from './web-access-logs/pipeline.js';

export type { AnyPipeline } from '../core/pipeline.js';

/**
 * The example pipelines by name: definitions only, which is what the Lambda bundles need (their
 * seeded generators, for local runs, benchmarks and tests, are in generators.ts).
 */
export const pipelines: Readonly<Record<string, AnyPipeline>> = {
  [taxiRides.name]: taxiRides,
  [webAccessLogs.name]: webAccessLogs,
  [clickSessions.name]: clickSessions,
};

/** Names of the known pipelines, sorted. */
export const pipelineNames: readonly string[] = Object.keys(pipelines).sort();

/** No pipeline of that name. */
export class UnknownPipelineError extends Error {
  override readonly name = 'UnknownPipelineError';
  readonly retriable = false;
  constructor(readonly given: string) {
    super(`unknown pipeline ${JSON.stringify(given)}: expected one of ${pipelineNames.join(', ')}`);
  }
}

/** The example pipeline of that name; throws {@link UnknownPipelineError} listing the known names. */
export function getPipeline(name: string): AnyPipeline {
  const found = Object.hasOwn(pipelines, name) ? pipelines[name] : undefined;
  if (found === undefined) throw new UnknownPipelineError(name);
  return found;
}
