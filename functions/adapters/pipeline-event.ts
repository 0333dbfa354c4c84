import type { AnyPipeline, ParseOutcome } from '../core/pipeline.js';

export type { AnyPipeline } from '../core/pipeline.js';

/**
 * Validates an already-decoded event (an envelope's `event`, a JSON body's item) against the
 * pipeline: schema, key and event time ({@link Pipeline.parseEvent}). A string given to a pipeline
 * with its own decoder (e.g. log lines) is that decoder's text form, so it is decoded first.
 */
export function validateEvent(
  pipeline: AnyPipeline,
  candidate: unknown,
  arrivalTime?: number,
): ParseOutcome<unknown> {
  if (typeof candidate === 'string' && pipeline.config.decode) return pipeline.parse(candidate, arrivalTime);
  return pipeline.parseEvent(candidate, arrivalTime);
}
