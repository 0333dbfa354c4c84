import type { KinesisStreamRecord } from 'aws-lambda';
import type { EngineState } from '../../core/engine/state.js';
import type { ProcessOutput, WindowEngine } from '../../core/engine/window-engine.js';
import type { KeyedRecord } from '../../core/types.js';
import { CheckpointConflictError } from '../errors.js';
import type { RecordPosition } from '../kinesis/decode.js';
import {
  type Checkpoint,
  encodeCheckpoint,
  type InboxRecord,
  type StoredCheckpoint,
} from '../state/checkpoint.js';
import type { AggregatorDependencies } from './dependencies.js';
import { oversizedOutputLetters, toAggregateRecords, toLateRecords } from './output-records.js';
import { type PreparedRecords, positionsOf, prepareRecords } from './prepare-records.js';

/**
 * Records a redrive took back from the stream wait in their shard's checkpoint (`redriveInbox`)
 * until the shard's own flow applies them, because only that flow may change the shard's windows.
 * An aggregator batch sends its window results before it writes its checkpoint, and its retry (or
 * a half of it, when Lambda bisects a failed batch) must find the state the attempt started from:
 * had anything changed the windows in between, the retry would send the same result ids with other
 * values. So:
 * - a redrive only adds records to the inbox, keeping the checkpoint's `updatedAt`: an aggregator
 *   batch whose write loses to it finds only the redrive's fields changed and writes again, its
 *   results unaffected (aggregate-batch.ts, writeCheckpoint);
 * - a record that changes no window (late for every window it belongs to at the shard's stream
 *   time, or poison) may be applied by anyone at any time: the state stays as it was. An aggregator
 *   batch applies those after its own write (`late-only`), so a busy shard's redriven records of
 *   windows long closed reach late/ with its next batch;
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
 * `late-only` (an aggregator batch, after its own write): only the records that change no window,
 * being late for every window they belong to, or poison. Those can be applied on a busy shard: the
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
 * Applies a checkpoint's inbox (`scope`): commits the new state with what it gives as `pending*`
 * (commitRedriveInbox), then sends and clears them (sendPending).
 */
export async function applyRedriveInbox(
  stored: StoredCheckpoint,
  deps: InboxDependencies,
  at: number,
  scope: InboxScope = 'all',
): Promise<InboxStep> {
  const step = await commitRedriveInbox(stored, deps, at, scope);
  if (!step.committed || !step.stored) return step;
  return { ...step, stored: await sendPending(step.stored, deps) };
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
  const { checkpoint } = stored;
  const shard = checkpoint.shard;
  const nothing = {
    committed: false,
    stored,
    records: 0,
    late: 0,
    invalid: 0,
    windowsClosed: 0,
    waiting: checkpoint.redriveInbox.length,
  };
  if (checkpoint.redriveInbox.length === 0) return nothing;
  const prepared = prepareInbox(checkpoint.redriveInbox, shard, deps);
  const applied =
    scope === 'all'
      ? applyAll(prepared, checkpoint, deps.engine)
      : applyLateOnly(prepared, checkpoint, deps.engine);
  if (applied.left.length === checkpoint.redriveInbox.length) return nothing;
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
  const committed: Checkpoint = {
    ...checkpoint,
    engine: applied.state,
    pending: [...checkpoint.pending, ...results],
    pendingLate: [...checkpoint.pendingLate, ...late],
    pendingDeadLetters: [...checkpoint.pendingDeadLetters, ...applied.poison],
    redriveInbox: [...applied.left],
    // A new updatedAt: a batch whose write loses to this one must not write over the pending output.
    updatedAt: at,
  };
  const counts = {
    records: applied.applied,
    late: late.length,
    invalid: applied.poison.length,
    windowsClosed: results.length,
    waiting: applied.left.length,
  };
  let etag: string;
  try {
    etag = await put(deps, committed, stored.etag);
  } catch (error) {
    if (error instanceof CheckpointConflictError) return { committed: false, stored: undefined, ...counts };
    throw error;
  }
  return { committed: true, stored: { checkpoint: committed, etag }, ...counts };
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
  if (pendingDeadLetters.length > 0) await deps.deadLetters.send(pendingDeadLetters);
  const none = { tooLarge: [] };
  const sent = pending.length > 0 ? await deps.aggregates.put(pending) : none;
  const sentLate = pendingLate.length > 0 ? await deps.late.put(pendingLate) : none;
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
