import { generateClickSessions } from './click-sessions/generate.js';
import type { EventGenerator } from './generator.js';
import { pipelineNames, UnknownPipelineError } from './index.js';
import { generateTaxiTrips } from './taxi-rides/generate.js';
import { generateAccessLogs } from './web-access-logs/generate.js';

export type { EventGenerator, GeneratedRecord, GeneratorOptions } from './generator.js';

/** The seeded event generator of each example pipeline, by pipeline name (a pipeline may have none). */
const generators: Readonly<Record<string, EventGenerator<unknown>>> = {
  'taxi-rides': generateTaxiTrips,
  'web-access-logs': generateAccessLogs,
  'click-sessions': generateClickSessions,
};

/** Pipelines that have a seeded generator, sorted. One fed only from files needs none. */
export const generatorNames: readonly string[] = Object.keys(generators).sort();

/** A registered pipeline without a seeded generator: its events must come from a file. */
export class NoGeneratorError extends Error {
  override readonly name = 'NoGeneratorError';
  readonly retriable = false;
  constructor(
    readonly pipeline: string,
    /** The pipelines that have one. */
    withGenerators: readonly string[] = generatorNames,
  ) {
    super(
      `pipeline ${JSON.stringify(pipeline)} has no seeded generator (functions/pipelines/generators.ts has ` +
        `one for ${withGenerators.join(', ')}): give --input <file> with its events`,
    );
  }
}

/**
 * The seeded generator of the pipeline of that name; throws {@link NoGeneratorError} for a
 * registered pipeline without one, {@link UnknownPipelineError} for any other name.
 */
export function getGenerator(name: string): EventGenerator<unknown> {
  const found = Object.hasOwn(generators, name) ? generators[name] : undefined;
  if (found !== undefined) return found;
  if (pipelineNames.includes(name)) throw new NoGeneratorError(name);
  throw new UnknownPipelineError(name);
}
