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
