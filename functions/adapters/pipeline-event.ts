import type { z } from 'zod';
import type { ParseOutcome, Pipeline } from '../core/pipeline.js';

/** Any pipeline definition, whatever its schema. */
export type AnyPipeline = Pipeline<z.ZodType>;

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
