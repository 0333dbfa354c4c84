import { z } from 'zod';

const optionalText = z.string().min(1).optional();

/** An access log entry given as a JSON object (the shape the log line parser produces). */
export const accessLogEntrySchema = z.object({
  host: z.string().min(1),
  ident: optionalText,
  user: optionalText,
  timeMs: z.int().min(0),
  request: z.string(),
  method: optionalText,
  path: optionalText,
  protocol: optionalText,
  status: z.int().min(100).max(599),
  bytes: z.int().min(0),
  referer: optionalText,
  userAgent: optionalText,
});

/** A validated access log entry. */
export type AccessLog = z.output<typeof accessLogEntrySchema>;
