import { z } from 'zod';
import { InvalidSpecError } from './errors.js';
import type { WindowSpec } from './types.js';

const duration = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
/**
 * Hopping windows a record may belong to (sizeMs / advanceMs): each is a result when it closes, so
 * one record of a 100,000,000 ms window hopping by 1 ms would be 100 million results.
 */
export const MAX_WINDOWS_PER_RECORD = 100_000;
const positiveDuration = z.int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Zod schema of a {@link WindowSpec} (the replay spec's `window`). */
export const windowSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('tumbling'), sizeMs: positiveDuration, graceMs: duration }),
  z
    .strictObject({
      type: z.literal('hopping'),
      sizeMs: positiveDuration,
      advanceMs: positiveDuration,
      graceMs: duration,
    })
    .refine((w) => w.advanceMs <= w.sizeMs, {
      message: 'advanceMs must be <= sizeMs (a hop longer than the window would skip records)',
      path: ['advanceMs'],
    })
    .refine((w) => Math.ceil(w.sizeMs / w.advanceMs) <= MAX_WINDOWS_PER_RECORD, {
      message: `sizeMs / advanceMs must be at most ${MAX_WINDOWS_PER_RECORD.toLocaleString('en-US')}: each record belongs to that many windows, each a result`,
      path: ['advanceMs'],
    }),
  z.strictObject({ type: z.literal('sliding'), timeDifferenceMs: positiveDuration, graceMs: duration }),
  z.strictObject({ type: z.literal('session'), gapMs: positiveDuration, graceMs: duration }),
]);

/** Checks a window spec given in code; throws {@link InvalidSpecError} saying what is wrong. */
export function validateWindowSpec(spec: unknown): WindowSpec {
  const parsed = windowSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new InvalidSpecError(
      `invalid window spec ${JSON.stringify(spec)}: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
