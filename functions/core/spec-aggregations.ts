import { z } from 'zod';
import {
  avgAggregate,
  countAggregate,
  firstAggregate,
  lastAggregate,
  maxAggregate,
  minAggregate,
  sumAggregate,
} from './aggregations.js';
import { distinctAggregate } from './distinct-aggregate.js';
import { InvalidSpecError } from './errors.js';
import type { AggregateFunction } from './types.js';
import { windowSpecSchema } from './window-spec.js';

const fieldPathSchema = z
  .string()
  .regex(/^[^.]+(\.[^.]+)*$/, 'a dotted path such as "fare.total" (no empty segments)');

/** One aggregation in a spec file: `{fn:'count'}` or a function over an optional dotted `field`. */
export const specAggregationSchema = z.discriminatedUnion('fn', [
  z.strictObject({ fn: z.literal('count') }),
  z.strictObject({
    fn: z.enum(['sum', 'min', 'max', 'avg', 'first', 'last', 'distinct']),
    field: fieldPathSchema.optional(),
  }),
]);
export type SpecAggregation = z.output<typeof specAggregationSchema>;

/** The replay command's spec file: `{ window, aggregations }`. */
export const replaySpecSchema = z.strictObject({
  window: windowSpecSchema,
  aggregations: z
    .record(z.string().min(1), specAggregationSchema)
    .refine((a) => Object.keys(a).length > 0, 'at least one aggregation'),
});
export type ReplaySpec = z.output<typeof replaySpecSchema>;

/** Parses a replay spec; throws {@link InvalidSpecError} with zod's explanation otherwise. */
export function parseReplaySpec(input: unknown): ReplaySpec {
  // zod's record leaves the key out (it would set the prototype): the aggregation would vanish.
  const aggregations = (input as { aggregations?: unknown } | null)?.aggregations;
  if (typeof aggregations === 'object' && aggregations !== null && Object.hasOwn(aggregations, '__proto__')) {
    throw new InvalidSpecError('✖ an aggregation cannot be named "__proto__"\n  → at aggregations');
  }
  const parsed = replaySpecSchema.safeParse(input);
  if (!parsed.success) throw new InvalidSpecError(z.prettifyError(parsed.error));
  return parsed.data;
}

/**
 * A reader for a dotted path (`"a.b"` reads `value.a.b`); no path reads the value itself.
 * Missing parts read as undefined.
 */
export function fieldPath(path: string | undefined): (value: unknown) => unknown {
  if (path === undefined) return (value) => value;
  const parts = path.split('.');
  const step = (value: unknown, part: string): unknown =>
    typeof value === 'object' && value !== null && Object.hasOwn(value, part)
      ? (value as Record<string, unknown>)[part]
      : undefined;
  if (parts.length === 1) {
    const [only = ''] = parts;
    return (value) => step(value, only);
  }
  return (value) => parts.reduce(step, value);
}

/** True when the aggregation reads numbers (so a replay line must carry a number or nothing there). */
export function isNumeric(spec: SpecAggregation): boolean {
  return spec.fn === 'sum' || spec.fn === 'min' || spec.fn === 'max' || spec.fn === 'avg';
}

/** Compiles one spec-file aggregation into an {@link AggregateFunction} over the record's value. */
export function compileSpecAggregation(spec: SpecAggregation): AggregateFunction<unknown, unknown, unknown> {
  if (spec.fn === 'count') return countAggregate();
  const field = fieldPath(spec.field);
  switch (spec.fn) {
    case 'sum':
      return sumAggregate(field);
    case 'min':
      return minAggregate(field);
    case 'max':
      return maxAggregate(field);
    case 'avg':
      return avgAggregate(field);
    case 'first':
      return firstAggregate(field);
    case 'last':
      return lastAggregate(field);
    case 'distinct':
      return distinctAggregate(field);
  }
}

/** Compiles every aggregation of a spec file, keeping their names. */
export function compileSpecAggregations(
  specs: Readonly<Record<string, SpecAggregation>>,
): Record<string, AggregateFunction<unknown, unknown, unknown>> {
  const out: Record<string, AggregateFunction<unknown, unknown, unknown>> = {};
  for (const [name, spec] of Object.entries(specs)) out[name] = compileSpecAggregation(spec);
  return out;
}
