import type { KinesisStreamRecord } from 'aws-lambda';
import type { EngineState } from '../../core/engine/state.js';
import type { ProcessOutput, WindowEngine } from '../../core/engine/window-engine.js';
import { CheckpointConflictError } from '../errors.js';
import type { DecodeOptions } from '../kinesis/decode.js';
import type { AnyPipeline } from '../pipeline-event.js';
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
 * - only the idle flush applies the inbox, on a shard it takes (quiet for the idle timeout, not
 *   claimed) whose mapping has nothing left to deliver, so no failed attempt waits for a retry;
 *   an aggregator batch that starts meanwhile claims the shard first, as it does against the flush
 *   closing windows;
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

/** An inbox applied to a state: the engine's output and the records as prepared (poison included). */
export interface AppliedInbox {
  readonly output: ProcessOutput;
  readonly prepared: PreparedRecords;
}

/** Decodes, validates and applies an inbox's records to `state` (none of them is skipped). */
export function applyInbox(
  inbox: readonly InboxRecord[],
  state: EngineState,
  context: {
    readonly engine: WindowEngine;
    readonly pipeline: AnyPipeline;
    readonly shard: string;
    readonly decode?: DecodeOptions;
  },
): AppliedInbox {
  const records = inbox.map(
    (kinesis) => ({ kinesis, eventID: `${context.shard}:${kinesis.sequenceNumber}` }) as KinesisStreamRecord,
  );
  const prepared = prepareRecords(records, {
    pipeline: context.pipeline,
    shard: context.shard,
    checkpoint: null,
    decode: context.decode,
  });
  return { output: context.engine.process(state, prepared.valid), prepared };
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
}

async function put(deps: InboxDependencies, checkpoint: Checkpoint, etag: string): Promise<string> {
  return deps.stateStore.put(deps.pipeline.name, checkpoint.shard, encodeCheckpoint(checkpoint), etag);
}

/**
 * Applies a checkpoint's inbox: commits the new state with what it gives as `pending*`, then
 * sends and clears them (sendPending). The commit is conditional: when it loses (an aggregator
 * batch or a redrive wrote first) nothing was sent, and the next flush tries again.
 */
export async function applyRedriveInbox(
  stored: StoredCheckpoint,
  deps: InboxDependencies,
  at: number,
): Promise<InboxStep> {
  const { checkpoint } = stored;
  const inbox = checkpoint.redriveInbox;
  if (inbox.length === 0)
    return { committed: false, stored, records: 0, late: 0, invalid: 0, windowsClosed: 0 };
  const shard = checkpoint.shard;
  // A copy: the engine updates a state in place, and a lost commit must leave the read one as it was.
  const state = structuredClone(checkpoint.engine);
  const applied = applyInbox(inbox, state, { ...deps, shard });
  const results = toAggregateRecords(applied.output.results, {
    pipeline: deps.pipeline.name,
    shard,
    emittedAt: at,
  });
  const positions = positionsOf(
    applied.prepared,
    applied.output.late.map((record) => record.value),
  );
  const late = toLateRecords(applied.output.late, {
    pipeline: deps.pipeline.name,
    shard,
    positionOf: (event) => positions.get(event),
  });
  const committed: Checkpoint = {
    ...checkpoint,
    engine: applied.output.state,
    pending: [...checkpoint.pending, ...results],
    pendingLate: [...checkpoint.pendingLate, ...late],
    pendingDeadLetters: [...checkpoint.pendingDeadLetters, ...applied.prepared.poison],
    redriveInbox: [],
    updatedAt: at,
  };
  const counts = {
    records: applied.prepared.recordsIn,
    late: late.length,
    invalid: applied.prepared.poison.length,
    windowsClosed: results.length,
  };
  let etag: string;
  try {
    etag = await put(deps, committed, stored.etag);
  } catch (error) {
    if (error instanceof CheckpointConflictError) return { committed: false, stored: undefined, ...counts };
    throw error;
  }
  return { committed: true, stored: await sendPending({ checkpoint: committed, etag }, deps), ...counts };
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
