import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { StateCorruptError, StateVersionError } from '../errors.js';
import { windowSpecSchema } from '../window-spec.js';
import { type EngineState, STATE_VERSION } from './state.js';
import { migrateState } from './state-migrations.js';

const timestamp = z.int().min(0);
const accumulators = z.array(z.unknown());
const base = {
  v: z.literal(STATE_VERSION),
  window: windowSpecSchema,
  aggregations: z.array(z.string()),
  streamTime: timestamp.nullable(),
};

// Dictionaries are built without a prototype, entry by entry (zod's record would assign
// "__proto__" through the setter and lose it), so any key stays a plain key.
function dictionary<T extends z.ZodType>(item: T) {
  return z.unknown().transform((value, ctx): Record<string, z.output<T>> => {
    const out: Record<string, z.output<T>> = Object.create(null);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `expected an object of keys (given ${typeof value})` });
      return out;
    }
    for (const [key, entry] of Object.entries(value)) {
      const parsed = item.safeParse(entry);
      if (!parsed.success) {
        ctx.addIssue({
          code: 'custom',
          message: `key ${JSON.stringify(key)}: ${z.prettifyError(parsed.error)}`,
        });
        return out;
      }
      out[key] = parsed.data;
    }
    return out;
  });
}

const stateSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('time'),
    panes: z.array(
      // How many slots a key takes depends on the aggregations: checked when an engine takes it.
      z
        .strictObject({ start: timestamp, keys: z.array(z.string()), accumulators: z.array(z.unknown()) })
        .refine((p) => new Set(p.keys).size === p.keys.length, { message: 'a pane needs distinct keys' }),
    ),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('session'),
    // How many slots a session takes depends on the aggregations: checked when an engine takes it.
    sessions: dictionary(z.array(z.unknown()).min(1)),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('sliding'),
    windows: dictionary(z.array(z.tuple([timestamp, timestamp, accumulators]))),
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
 * Reads a checkpoint written by {@link encodeState} (either format); one of an earlier version is
 * migrated when state-migrations.ts has the steps. Throws StateVersionError for any other version
 * and StateCorruptError for anything that is not engine state.
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
  if (version !== STATE_VERSION) {
    const migrated =
      version === undefined ? undefined : migrateState(data as Record<string, unknown>, version);
    if (!migrated) throw new StateVersionError(STATE_VERSION, version);
    data = migrated;
  }
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) {
    throw new StateCorruptError(
      `engine state does not have the expected shape: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
