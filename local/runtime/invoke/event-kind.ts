/** The event shapes of the sources Tributary's functions have (and one they could be given by mistake). */
export type EventKind =
  | 'kinesis'
  | 'kinesis-tumbling-window'
  | 'msk'
  | 'firehose'
  | 'scheduled'
  | 'function-url'
  | 'unknown';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Recognizes an event by the fields AWS's published samples of each source carry. Only used to
 * warn when the event does not fit the function's source; the function gets the event anyway.
 */
export function classifyEvent(event: unknown): EventKind {
  if (!isRecord(event)) return 'unknown';
  if (Array.isArray(event.Records)) {
    const first: unknown = event.Records[0];
    const kinesis = isRecord(first) && first.eventSource === 'aws:kinesis';
    if (kinesis || event.Records.length === 0) {
      return isRecord(event.window) ? 'kinesis-tumbling-window' : 'kinesis';
    }
    return 'unknown';
  }
  if (event.eventSource === 'aws:kafka' && isRecord(event.records)) return 'msk';
  if (Array.isArray(event.records) && typeof event.deliveryStreamArn === 'string') return 'firehose';
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') return 'scheduled';
  if (isRecord(event.requestContext) && isRecord(event.requestContext.http) && 'rawPath' in event) {
    return 'function-url';
  }
  return 'unknown';
}

const LABELS: Record<EventKind, string> = {
  kinesis: 'a Kinesis stream event',
  'kinesis-tumbling-window': 'a Kinesis tumbling-window event',
  msk: 'an Amazon MSK event',
  firehose: 'a Firehose data transformation event',
  scheduled: 'an EventBridge Scheduled Event',
  'function-url': 'a function URL request',
  unknown: 'an event of no known source',
};

/** "a Kinesis stream event", for messages. */
export function describeKind(kind: EventKind): string {
  return LABELS[kind];
}

/** True when an event of `kind` is what a source of `sourceKind` sends (a Kinesis mapping sends both shapes). */
export function fitsSource(kind: EventKind, sourceKind: EventKind): boolean {
  if (kind === sourceKind) return true;
  const kinesis = (k: EventKind) => k === 'kinesis' || k === 'kinesis-tumbling-window';
  return kinesis(kind) && kinesis(sourceKind);
}
