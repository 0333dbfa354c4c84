import { z } from 'zod';

// CloudFormation takes "10" for 10 and "true" for true, and intrinsics such as Fn::Join or a
// parameter's Ref resolve to strings: the template readers accept both forms.

/** An integer, or a string of one (`"-1"`). */
export const templateInteger = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

/** A number, or a string of digits (`"64"`). */
export const templateNumber = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

/** A boolean, or `"true"` / `"false"`. */
export const templateBoolean = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((v) => v === 'true'),
]);
