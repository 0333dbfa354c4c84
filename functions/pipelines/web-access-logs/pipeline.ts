import { definePipeline } from '../../core/pipeline.js';
import { parseAccessLog } from './parse-access-log.js';
import { type AccessLog, accessLogEntrySchema } from './schema.js';

const MINUTE = 60_000;

/** A log line that does not have the Common or Combined Log Format; the message says why. */
export class AccessLogFormatError extends Error {
  override readonly name = 'AccessLogFormatError';
  readonly retriable = false;
}

/**
 * A raw record: a JSON object (an entry already parsed by the shipper) or one Common/Combined
 * Log Format line. Throws {@link AccessLogFormatError} with the parser's reason.
 */
export function decodeAccessLog(text: string): unknown {
  if (text.trimStart().startsWith('{')) return JSON.parse(text);
  const parsed = parseAccessLog(text);
  if (!parsed.ok) throw new AccessLogFormatError(parsed.reason);
  return parsed.entry;
}

/**
 * The site section a request is for: the first path segment when there is a deeper path
 * (`/shuttle/missions/x.html` -> `/shuttle`), `/` for top-level pages, and `(none)` when the
 * request has no usable path (empty, binary junk, absolute proxy URLs).
 */
export function siteSection(entry: Pick<AccessLog, 'path'>): string {
  const path = entry.path;
  if (path === undefined || !path.startsWith('/')) return '(none)';
  const end = path.slice(1).search(/[/?#;]/);
  if (end === -1 || path[end + 1] !== '/') return '/';
  return path.slice(0, Math.min(end + 1, 64));
}

const statusIs = (low: number) => (entry: AccessLog) =>
  entry.status >= low && entry.status < low + 100 ? 1 : 0;

/**
 * Requests, bytes and 4xx/5xx rates of a web site in 5-minute windows hopping by 1 minute.
 *
 * Key = the site section (`/shuttle`, `/images`, `/`), not the status class: a rate needs both the
 * errors and all the requests in one window of one key (keyed by class, the `4xx` key's 4xx rate
 * would always be 1), and status classes would pile ~90% of the traffic onto the `2xx` key and
 * its shard. Per-class counts are columns instead, so the per-class view is a sum away.
 *
 * Grace = 1 minute: shippers (Filebeat, Fluent Bit, the CloudWatch agent) send each server's file
 * in batches every few seconds to 30 seconds, so entries from a slow server arrive up to about 30
 * seconds behind the fastest one (the generator's lateness stays under 35 s). A stalled shipper
 * sends minutes later; those entries are late and kept as late records.
 */
export const webAccessLogs = definePipeline({
  name: 'web-access-logs',
  description:
    'Web server access logs: requests, bytes, 4xx/5xx rates per site section, 5-minute windows hopping by 1 minute',
  schema: accessLogEntrySchema,
  decode: decodeAccessLog,
  key: siteSection,
  eventTime: (entry) => entry.timeMs,
  window: { type: 'hopping', sizeMs: 5 * MINUTE, advanceMs: MINUTE, graceMs: MINUTE },
  aggregations: {
    requests: { fn: 'count' },
    bytes: { fn: 'sum', field: (entry) => entry.bytes },
    status_2xx: { fn: 'sum', field: statusIs(200) },
    status_3xx: { fn: 'sum', field: statusIs(300) },
    status_4xx: { fn: 'sum', field: statusIs(400) },
    status_5xx: { fn: 'sum', field: statusIs(500) },
    // The mean of a 0/1 indicator is the share of requests with that status class.
    rate_4xx: { fn: 'avg', field: statusIs(400) },
    rate_5xx: { fn: 'avg', field: statusIs(500) },
    clients: { fn: 'distinct', field: (entry) => entry.host },
  },
});
