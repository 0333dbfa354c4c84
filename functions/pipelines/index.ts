import type { z } from 'zod';
import type { Pipeline } from '../core/pipeline.js';
import { generateClickSessions } from './click-sessions/generate.js';
import { clickSessions } from './click-sessions/pipeline.js';
import type { EventGenerator } from './generator.js';
import { generateTaxiTrips } from './taxi-rides/generate.js';
import { taxiRides } from './taxi-rides/pipeline.js';
import { generateAccessLogs } from './web-access-logs/generate.js';
import { webAccessLogs } from './web-access-logs/pipeline.js';

export type { EventGenerator, GeneratedRecord, GeneratorOptions } from './generator.js';

/** A pipeline whose event type is not known statically (what the runtime and infra handle). */
export type AnyPipeline = Pipeline<z.ZodType>;

/** An example pipeline with its seeded generator. */
export interface ExamplePipeline {
  readonly pipeline: AnyPipeline;
  readonly generate: EventGenerator<unknown>;
}

/** The example pipelines by name. */
export const pipelines: Readonly<Record<string, ExamplePipeline>> = {
  [taxiRides.name]: { pipeline: taxiRides, generate: generateTaxiTrips },
  [webAccessLogs.name]: { pipeline: webAccessLogs, generate: generateAccessLogs },
  [clickSessions.name]: { pipeline: clickSessions, generate: generateClickSessions },
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
export function getPipeline(name: string): ExamplePipeline {
  const found = Object.hasOwn(pipelines, name) ? pipelines[name] : undefined;
  if (found === undefined) throw new UnknownPipelineError(name);
  return found;
}
