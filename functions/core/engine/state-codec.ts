import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { StateCorruptError, StateVersionError } from '../errors.js';
import { windowSpecSchema } from '../window-spec.js';
import { type EngineState, STATE_VERSION } from './state.js';

const timestamp = z.int().min(0);
const accumulators = z.array(z.unknown());
const base = {
  v: z.literal(STATE_VERSION),
  window: windowSpecSchema,
  aggregations: z.array(z.string()),
  streamTime: timestamp.nullable(),
};

// Dictionaries are rebuilt without a prototype so that keys such as "__proto__" stay plain keys.
function dictionary<T>(entries: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = Object.create(null);
  for (const [k, v] of Object.entries(entries)) out[k] = v;
  return out;
}

const stateSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('time'),
    buckets: z.array(
      z.strictObject({ start: timestamp, keys: z.record(z.string(), accumulators).transform(dictionary) }),
    ),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('session'),
    sessions: z
      .record(z.string(), z.array(z.tuple([timestamp, timestamp, accumulators])))
      .transform(dictionary),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('sliding'),
    windows: z
      .record(z.string(), z.array(z.tuple([timestamp, timestamp, accumulators])))
      .transform(dictionary),
  }),
]);

/** `json`: UTF-8 text; `bytes`: gzip-compressed JSON (checkpoints in S3). */
export type StateFormat = 'json' | 'bytes';

/** Serializes engine state for a checkpoint. */
export function encodeState(state: EngineState, format: 'json'): string;
export function encodeState(state: EngineState, format: 'bytes'): Uint8Array;
export function encodeState(state: EngineState, format: StateFormat): string | Uint8Array {
  const text = JSON.stringify(state);
  return format === 'json' ? text : new Uint8Array(gzipSync(text));
}

/**
 * Reads a checkpoint written by {@link encodeState} (either format). Throws StateVersionError for
 * another version and StateCorruptError for anything that is not engine state.
 */
export function decodeState(encoded: string | Uint8Array): EngineState {
  let data: unknown;
  try {
    const text = typeof encoded === 'string' ? encoded : gunzipSync(encoded).toString('utf8');
    data = JSON.parse(text);
  } catch (error) {
    throw new StateCorruptError(
      `engine state is neither JSON nor gzip-compressed JSON: ${(error as Error).message}`,
    );
  }
  const version = typeof data === 'object' && data !== null && 'v' in data ? data.v : undefined;
  if (version !== STATE_VERSION) throw new StateVersionError(STATE_VERSION, version);
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) {
    throw new StateCorruptError(
      `engine state does not have the expected shape: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
