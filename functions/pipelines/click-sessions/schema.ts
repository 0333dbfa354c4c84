import { z } from 'zod';

/** One page view, as a web or mobile analytics SDK sends it (Segment-like `page` call). */
export const pageViewSchema = z.object({
  type: z.literal('page_view'),
  /** The signed-in user, or the SDK's anonymous id. */
  userId: z.string().min(1).max(128),
  /** Path of the page, starting with `/`. */
  page: z.string().regex(/^\//, 'expected a path starting with "/"'),
  referrer: z.string().min(1).optional(),
  device: z.enum(['desktop', 'mobile', 'tablet']),
  /** When the page was viewed on the device. */
  timestamp: z.iso.datetime({
    offset: true,
    error: 'expected an ISO 8601 date-time with a zone, such as 2026-11-23T10:15:00.000Z',
  }),
});

/** A validated page view. */
export type PageView = z.output<typeof pageViewSchema>;
