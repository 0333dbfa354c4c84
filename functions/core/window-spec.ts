import { z } from 'zod';
import { InvalidSpecError } from './errors.js';
import type { WindowSpec } from './types.js';

const duration = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
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
