import type { KinesisStreamRecord } from 'aws-lambda';
import type { EngineState } from '../../core/engine/state.js';
import type { ProcessOutput, WindowEngine } from '../../core/engine/window-engine.js';
import type { KeyedRecord } from '../../core/types.js';
import { CheckpointConflictError } from '../errors.js';
import type { RecordPosition } from '../kinesis/decode.js';
import type { DeadLetter } from '../sinks/dead-letter-sink.js';
import {
  type Checkpoint,
  encodeCheckpoint,
  type InboxRecord,
  readCheckpoint,
  type StoredCheckpoint,
} from '../state/checkpoint.js';
import type { AggregatorDependencies } from './dependencies.js';
import {
  type AggregateRecord,
  type LateOutputRecord,
  oversizedOutputLetters,
  toAggregateRecords,
  toLateRecords,
} from './output-records.js';
import { type PreparedRecords, positionsOf, prepareRecords } from './prepare-records.js';

/**
 * Records a redrive took back from the stream wait in their shard's checkpoint (`redriveInbox`)
 * until the shard's own flow applies them, because only that flow may change the shard's windows.
 * An aggregator batch sends its window results before it writes its checkpoint, and its retry (or
 * a half of it, when Lambda bisects a failed batch) must find the state the attempt started from:
 * had anything changed the windows in between, the retry would send the same result ids with other
 * values. So:
 * - a redrive only adds records to the inbox and pending late records and dead letters (then sends
 *   and clears those), keeping the checkpoint's `updatedAt`: an aggregator batch whose write loses
 *   to it finds only the redrive's fields changed and writes again, its results unaffected, keeping
 *   what is pending that it did not send (aggregate-batch.ts, writeCheckpoint);
 * - a record that changes no window (late for every window it belongs to at the shard's stream
 *   time, or poison) may be applied by anyone at any time: the state stays as it was. The redrive
 *   applies those as it queues (`late-only`), and an aggregator batch after its own write, for
 *   records whose windows its records closed;
 * - only the idle flush applies the others, on a shard it takes (quiet for the idle timeout, not
 *   claimed) whose mapping has nothing left to deliver, so no failed attempt waits for a retry;
 *   an aggregator batch that starts meanwhile claims the shard first, as it does against the flush
 *   closing windows. On a shard that is never quiet they wait;
 * - the step commits before it sends: the new state goes into the checkpoint with the window
 *   results, late records and dead letters it gives as `pending*`, in one conditional write; only
 *   then are they sent, and cleared. A step that loses its write has sent nothing.
 * A redriven record counts in its window if the window is still open, and is kept under `late/`
 * otherwise.
 */

/** Records an inbox may hold: a shard's checkpoint is read and written on every batch. */
export const MAX_INBOX_RECORDS = 10_000;
/** Bytes of record data (base64) an inbox may hold, for the same reason. */
export const MAX_INBOX_DATA_BYTES = 16 * 1024 * 1024;

/** The fields of a Lambda Kinesis record that an inbox keeps. */
export function toInbox(records: readonly KinesisStreamRecord[]): InboxRecord[] {
  return records.map(({ kinesis }) => ({
    sequenceNumber: kinesis.sequenceNumber,
    partitionKey: kinesis.partitionKey,
    data: kinesis.data,
    approximateArrivalTimestamp: kinesis.approximateArrivalTimestamp,
  }));
}

/** Bytes of record data an inbox holds. */
export function inboxDataBytes(inbox: readonly InboxRecord[]): number {
  let bytes = 0;
  for (const record of inbox) bytes += record.data.length;
  return bytes;
}

/** What applying and sending an inbox needs: the state store, the engine and the three sinks. */
export type InboxDependencies = Pick<
  AggregatorDependencies,
  'pipeline' | 'engine' | 'stateStore' | 'aggregates' | 'late' | 'deadLetters' | 'decode'
>;

/**
 * What the inbox step did: whether its commit won (the counts are then applied, their output sent
 * or pending), and its checkpoint afterwards (undefined when a write lost: read it again).
 */
export interface InboxStep {
  readonly committed: boolean;
  readonly stored: StoredCheckpoint | undefined;
  readonly records: number;
  readonly late: number;
  readonly invalid: number;
  readonly windowsClosed: number;
  /** Kinesis records left in the inbox (for `late-only`: those that would change a window). */
  readonly waiting: number;
}

async function put(deps: InboxDependencies, checkpoint: Checkpoint, etag: string): Promise<string> {
  return deps.stateStore.put(deps.pipeline.name, checkpoint.shard, encodeCheckpoint(checkpoint), etag);
}

/**
 * Which of an inbox's records a step applies: `all` (the idle flush, on a shard it takes), or
 * `late-only` (a redrive as it queues, and an aggregator batch after its own write): only the
 * records that change no window, being late for every window they belong to, or poison. Those can be applied on a busy shard: the
 * state stays as it was, so a failed attempt's retry, or a half of it, still finds the state the
 * attempt started from (WindowEngine.takeLate). A Kinesis record leaves the inbox whole: when one
 * of its user records (KPL) would still change a window, all of them wait for the flush.
 */
export type InboxScope = 'all' | 'late-only';

/** The records of an inbox as a batch's records of `shard`. */
function inboxRecords(inbox: readonly InboxRecord[], shard: string): KinesisStreamRecord[] {
  return inbox.map(
    (kinesis) => ({ kinesis, eventID: `${shard}:${kinesis.sequenceNumber}` }) as KinesisStreamRecord,
  );
}

/**
 * Inboxes decoded, by inbox: while records wait for their windows to close, every batch of a warm
 * container asks again about the same inbox (carried over from checkpoint to checkpoint), and
 * decoding up to 10,000 records each time would cost more than the question.
 */
const preparedInboxes = new WeakMap<readonly InboxRecord[], PreparedRecords>();

function prepareInbox(
  inbox: readonly InboxRecord[],
  shard: string,
  deps: Pick<InboxDependencies, 'pipeline' | 'decode'>,
): PreparedRecords {
  let prepared = preparedInboxes.get(inbox);
  if (prepared === undefined) {
    prepared = prepareRecords(inboxRecords(inbox, shard), {
      pipeline: deps.pipeline,
      shard,
      checkpoint: null,
      decode: deps.decode,
    });
    preparedInboxes.set(inbox, prepared);
  }
  return prepared;
}

/** What a step applies: the state after it, what it emits, and the inbox records it leaves queued. */
interface InboxApplication {
  readonly state: EngineState;
  readonly results: ProcessOutput['results'];
  readonly late: ProcessOutput['late'];
  readonly poison: PreparedRecords['poison'];
  /** User records applied (valid or poison): the inbox's less those left queued. */
  readonly applied: number;
  readonly left: readonly InboxRecord[];
}

function applyAll(prepared: PreparedRecords, checkpoint: Checkpoint, engine: WindowEngine): InboxApplication {
  // A copy: the engine updates a state in place, and a lost commit must leave the read one as it was.
  const output = engine.process(structuredClone(checkpoint.engine), prepared.valid);
  return { ...output, poison: prepared.poison, applied: prepared.recordsIn, left: [] };
}

function applyLateOnly(
  prepared: PreparedRecords,
  checkpoint: Checkpoint,
  engine: WindowEngine,
): InboxApplication {
  const taken = engine.takeLate(checkpoint.engine, prepared.valid);
  const rest = new Set(taken.rest);
  const staying = new Set<string>();
  for (let i = 0; i < prepared.valid.length; i++) {
    if (rest.has(prepared.valid[i] as KeyedRecord))
      staying.add((prepared.validPositions[i] as RecordPosition).sequenceNumber);
  }
  let stayingUserRecords = 0;
  for (const position of prepared.validPositions)
    if (staying.has(position.sequenceNumber)) stayingUserRecords++;
  for (const letter of prepared.poison) if (staying.has(letter.sequence_number)) stayingUserRecords++;
  const positions = positionsOf(
    prepared,
    taken.late.map((record) => record.value),
  );
  return {
    state: checkpoint.engine,
    results: [],
    late: taken.late.filter((record) => !staying.has(positions.get(record.value)?.sequenceNumber ?? '')),
    poison: prepared.poison.filter((letter) => !staying.has(letter.sequence_number)),
    applied: prepared.recordsIn - stayingUserRecords,
    left: checkpoint.redriveInbox.filter((record) => staying.has(record.sequenceNumber)),
  };
}

/**
 * Applies all of a checkpoint's inbox (the idle flush): commits the new state with what it gives
 * as `pending*` (commitRedriveInbox), then sends and clears them (sendPending).
 */
export async function applyRedriveInbox(
  stored: StoredCheckpoint,
  deps: InboxDependencies,
  at: number,
): Promise<InboxStep> {
  const step = await commitRedriveInbox(stored, deps, at, 'all');
  if (!step.committed || !step.stored) return step;
  return { ...step, stored: await sendPending(step.stored, deps) };
}

/** What an inbox step gives, before any write: the checkpoint after it and what it added. */
export interface InboxOutcome {
  /** The checkpoint with the step applied (`updatedAt` as it was; the caller sets it). */
  readonly checkpoint: Checkpoint;
  /** Late records and dead letters the step added to `pendingLate` and `pendingDeadLetters`. */
  readonly late: readonly LateOutputRecord[];
  readonly deadLetters: readonly DeadLetter[];
  readonly counts: Omit<InboxStep, 'committed' | 'stored'>;
}

/**
 * Applies a checkpoint's inbox (`scope`) to a copy of it: the new state, the output it gives added
 * to `pending*`, the records left. Undefined when no record would leave the inbox. Writes nothing.
 */
export function applyInboxTo(
  checkpoint: Checkpoint,
  deps: Pick<InboxDependencies, 'pipeline' | 'engine' | 'decode'>,
  at: number,
  scope: InboxScope,
): InboxOutcome | undefined {
  const shard = checkpoint.shard;
  if (checkpoint.redriveInbox.length === 0) return undefined;
  const prepared = prepareInbox(checkpoint.redriveInbox, shard, deps);
  const applied =
    scope === 'all'
      ? applyAll(prepared, checkpoint, deps.engine)
      : applyLateOnly(prepared, checkpoint, deps.engine);
  if (applied.left.length === checkpoint.redriveInbox.length) return undefined;
  const results = toAggregateRecords(applied.results, { pipeline: deps.pipeline.name, shard, emittedAt: at });
  const positions = positionsOf(
    prepared,
    applied.late.map((record) => record.value),
  );
  const late = toLateRecords(applied.late, {
    pipeline: deps.pipeline.name,
    shard,
    positionOf: (event) => positions.get(event),
  });
  return {
    checkpoint: {
      ...checkpoint,
      engine: applied.state,
      pending: [...checkpoint.pending, ...results],
      pendingLate: [...checkpoint.pendingLate, ...late],
      pendingDeadLetters: [...checkpoint.pendingDeadLetters, ...applied.poison],
      redriveInbox: [...applied.left],
    },
    late,
    deadLetters: applied.poison,
    counts: {
      records: applied.applied,
      late: late.length,
      invalid: applied.poison.length,
      windowsClosed: results.length,
      waiting: applied.left.length,
    },
  };
}

/**
 * Commits the application of a checkpoint's inbox (`scope`): the new state with what it gives as
 * `pending*`, in one conditional write, and nothing sent. When the write loses (an aggregator
 * batch or a redrive wrote first), `committed` is false and a later step tries again. When it wins,
 * `stored` is the committed checkpoint, for sendPending.
 */
export async function commitRedriveInbox(
  stored: StoredCheckpoint,
  deps: InboxDependencies,
  at: number,
  scope: InboxScope,
): Promise<InboxStep> {
  const outcome = applyInboxTo(stored.checkpoint, deps, at, scope);
  if (!outcome) {
    const waiting = stored.checkpoint.redriveInbox.length;
    return { committed: false, stored, records: 0, late: 0, invalid: 0, windowsClosed: 0, waiting };
  }
  // A new updatedAt: a batch whose write loses to this one must not write over what it changed.
  const committed: Checkpoint = { ...outcome.checkpoint, updatedAt: at };
  let etag: string;
  try {
    etag = await put(deps, committed, stored.etag);
  } catch (error) {
    if (error instanceof CheckpointConflictError)
      return { committed: false, stored: undefined, ...outcome.counts };
    throw error;
  }
  return { committed: true, stored: { checkpoint: committed, etag }, ...outcome.counts };
}

/** What tells a pending late record apart: its record's position and its window. */
export function lateRecordId(record: LateOutputRecord): string {
  return `${record.shard} ${record.sequence_number} ${record.sub_sequence_number ?? ''} ${record.window_start}`;
}

/** What tells a pending dead letter apart: its record's position and its reason. */
export function deadLetterId(letter: DeadLetter): string {
  return `${letter.shard} ${letter.sequence_number} ${letter.sub_sequence_number ?? ''} ${letter.reason}`;
}

/** `pending` without the entries of `sent` (by `id`). */
export function withoutSent<T>(pending: readonly T[], sent: readonly T[], id: (entry: T) => string): T[] {
  if (sent.length === 0) return [...pending];
  const ids = new Set(sent.map(id));
  return pending.filter((entry) => !ids.has(id(entry)));
}

/** The sinks pending output goes to. */
type PendingSinks = Pick<InboxDependencies, 'pipeline' | 'aggregates' | 'late' | 'deadLetters'>;

/**
 * Sends pending output of `checkpoint`: dead letters first, then window results and late records;
 * an output record too large for Firehose is dead-lettered with the reason.
 */
async function sendOutput(
  deps: Pick<PendingSinks, 'pipeline' | 'late' | 'deadLetters'> & Partial<Pick<PendingSinks, 'aggregates'>>,
  checkpoint: Checkpoint,
  output: {
    readonly results: readonly AggregateRecord[];
    readonly late: readonly LateOutputRecord[];
    readonly deadLetters: readonly DeadLetter[];
  },
): Promise<void> {
  if (output.deadLetters.length > 0) await deps.deadLetters.send(output.deadLetters);
  const none = { tooLarge: [] };
  let sent: { readonly tooLarge: readonly object[] } = none;
  if (output.results.length > 0) {
    if (!deps.aggregates) throw new Error('pending window results need the aggregates sink');
    sent = await deps.aggregates.put(output.results);
  }
  const sentLate = output.late.length > 0 ? await deps.late.put(output.late) : none;
  const undeliverable = [...sent.tooLarge, ...sentLate.tooLarge];
  if (undeliverable.length > 0) {
    await deps.deadLetters.send(
      oversizedOutputLetters(undeliverable, {
        pipeline: deps.pipeline.name,
        shard: checkpoint.shard,
        sequenceNumber: checkpoint.position?.sequenceNumber ?? '0',
        at: checkpoint.updatedAt,
      }),
    );
  }
}

/**
 * Sends a checkpoint's pending window results, late records and dead letters, then clears them with
 * a conditional write. When that write loses, whoever wrote first has read them and sends them
 * again (same result ids, same positions): undefined is returned.
 */
export async function sendPending(
  stored: StoredCheckpoint,
  deps: Pick<InboxDependencies, 'pipeline' | 'stateStore' | 'aggregates' | 'late' | 'deadLetters'>,
): Promise<StoredCheckpoint | undefined> {
  const { checkpoint } = stored;
  const { pending, pendingLate, pendingDeadLetters } = checkpoint;
  if (pending.length + pendingLate.length + pendingDeadLetters.length === 0) return stored;
  await sendOutput(deps, checkpoint, {
    results: pending,
    late: pendingLate,
    deadLetters: pendingDeadLetters,
  });
  const cleared: Checkpoint = { ...checkpoint, pending: [], pendingLate: [], pendingDeadLetters: [] };
  try {
    const etag = await deps.stateStore.put(
      deps.pipeline.name,
      checkpoint.shard,
      encodeCheckpoint(cleared),
      stored.etag,
    );
    return { checkpoint: cleared, etag };
  } catch (error) {
    if (error instanceof CheckpointConflictError) return undefined;
    throw error;
  }
}

/** Conditional writes a redrive tries to clear what it sent before leaving it to the shard's flow. */
const CLEAR_ATTEMPTS = 3;

/**
 * Sends the late records and dead letters a redrive committed as pending (`added`), then takes
 * them, and only them, out of the checkpoint's pending lists. A checkpoint written meanwhile (a
 * batch, which may have sent them too: at least once) is read again; when they are gone from it,
 * nothing is left to do. Writes keep `updatedAt`, as the redrive's do. Throws when the send fails;
 * returns false when they were sent but are still pending (the clear failed or kept losing): the
 * shard's flow sends them again.
 */
export async function sendRedrivenPending(
  stored: StoredCheckpoint,
  added: Pick<InboxOutcome, 'late' | 'deadLetters'>,
  deps: Pick<InboxDependencies, 'pipeline' | 'stateStore' | 'late' | 'deadLetters'>,
): Promise<boolean> {
  await sendOutput(deps, stored.checkpoint, {
    results: [],
    late: added.late,
    deadLetters: added.deadLetters,
  });
  let current: StoredCheckpoint | undefined = stored;
  for (let attempt = 1; current && attempt <= CLEAR_ATTEMPTS; attempt++) {
    const { checkpoint } = current;
    const cleared: Checkpoint = {
      ...checkpoint,
      pendingLate: withoutSent(checkpoint.pendingLate, added.late, lateRecordId),
      pendingDeadLetters: withoutSent(checkpoint.pendingDeadLetters, added.deadLetters, deadLetterId),
    };
    const unchanged =
      cleared.pendingLate.length === checkpoint.pendingLate.length &&
      cleared.pendingDeadLetters.length === checkpoint.pendingDeadLetters.length;
    if (unchanged) return true;
    try {
      await deps.stateStore.put(
        deps.pipeline.name,
        checkpoint.shard,
        encodeCheckpoint(cleared),
        current.etag,
      );
      return true;
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) return false;
      current = await readCheckpoint(deps.stateStore, deps.pipeline.name, checkpoint.shard);
    }
  }
  return current === undefined;
}
