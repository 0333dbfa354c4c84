import { generateClickSessions } from './click-sessions/generate.js';
import type { EventGenerator } from './generator.js';
import { UnknownPipelineError } from './index.js';
import { generateTaxiTrips } from './taxi-rides/generate.js';
import { generateAccessLogs } from './web-access-logs/generate.js';

export type { EventGenerator, GeneratedRecord, GeneratorOptions } from './generator.js';

/** The seeded event generator of each example pipeline, by pipeline name. */
const generators: Readonly<Record<string, EventGenerator<unknown>>> = {
  'taxi-rides': generateTaxiTrips,
  'web-access-logs': generateAccessLogs,
  'click-sessions': generateClickSessions,
};

/** The generator of the example pipeline of that name; throws {@link UnknownPipelineError}. */
export function getGenerator(name: string): EventGenerator<unknown> {
  const found = Object.hasOwn(generators, name) ? generators[name] : undefined;
  if (found === undefined) throw new UnknownPipelineError(name);
  return found;
}
