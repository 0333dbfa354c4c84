import { z } from 'zod';

/** Version of the envelope below. */
export const ENVELOPE_VERSION = 1;

/**
 * What the producer writes into each Kinesis record: the validated event with its pipeline, key
 * and event time, so every consumer (raw Firehose, aggregator) reads the same fields.
 */
export const envelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  pipeline: z.string().min(1),
  key: z.string().min(1),
  ts: z.int().min(0),
  event: z.unknown().refine((value) => value !== undefined, { message: 'event is required' }),
});

export type Envelope = z.output<typeof envelopeSchema>;

/** Serializes an envelope as the record data (UTF-8 JSON). */
export function encodeEnvelope(envelope: {
  readonly pipeline: string;
  readonly key: string;
  readonly ts: number;
  readonly event: unknown;
}): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: ENVELOPE_VERSION,
      pipeline: envelope.pipeline,
      key: envelope.key,
      ts: envelope.ts,
      event: envelope.event,
    }),
  );
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The rules of {@link envelopeSchema}, checked by hand: the aggregator reads up to 10,000
 * envelopes per batch, and zod's object parse (which copies every record) cost more there than
 * the rest of the envelope handling. Returns the envelope, or what is wrong with it. A unit test
 * keeps both in agreement.
 */
export function readEnvelope(json: unknown): Envelope | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'expected a JSON object';
  if (!('v' in json) || json.v !== ENVELOPE_VERSION) return `v: expected ${ENVELOPE_VERSION}`;
  if (!('pipeline' in json) || typeof json.pipeline !== 'string' || json.pipeline === '') {
    return 'pipeline: expected a non-empty string';
  }
  if (!('key' in json) || typeof json.key !== 'string' || json.key === '')
    return 'key: expected a non-empty string';
  if (!('ts' in json) || !isTimestamp(json.ts)) return 'ts: expected a whole number of epoch ms >= 0';
  if (!('event' in json) || json.event === undefined) return 'event: event is required';
  return { v: ENVELOPE_VERSION, pipeline: json.pipeline, key: json.key, ts: json.ts, event: json.event };
}
