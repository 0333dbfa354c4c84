import type { z } from 'zod';
import type { ParseOutcome, Pipeline } from '../core/pipeline.js';

/** Any pipeline definition, whatever its schema. */
export type AnyPipeline = Pipeline<z.ZodType>;

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Validates an already-decoded event (an envelope's `event`, a JSON body's item) against the
 * pipeline: schema, key and event time. `Pipeline.parse` starts from text; going back to text for
 * every record would cost a JSON round trip per event in the aggregator's hot loop.
 */
export function validateEvent(
  pipeline: AnyPipeline,
  candidate: unknown,
  arrivalTime?: number,
): ParseOutcome<unknown> {
  // A custom decoder (e.g. log lines) defines what the text form is: let the pipeline read it.
  if (typeof candidate === 'string' && pipeline.config.decode) return pipeline.parse(candidate, arrivalTime);
  const parsed = pipeline.config.schema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`)
      .join('; ');
    return { ok: false, reason: `does not match the ${pipeline.name} schema: ${issues}` };
  }
  const event: unknown = parsed.data;
  let key: unknown;
  let ts: unknown;
  try {
    key = pipeline.config.key(event);
    ts = pipeline.timeSource === 'arrival' ? arrivalTime : pipeline.config.eventTime(event);
  } catch (error) {
    return { ok: false, reason: `key or event time could not be read: ${(error as Error).message}` };
  }
  if (typeof key !== 'string' || key === '') {
    return { ok: false, reason: `key must be a non-empty string (given ${describe(key)})` };
  }
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    return {
      ok: false,
      reason: `event time must be a whole number of epoch ms >= 0 (given ${describe(ts)})`,
    };
  }
  return { ok: true, event, key, ts };
}
