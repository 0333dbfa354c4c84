import type { KinesisStreamRecord } from 'aws-lambda';
import type { EngineState } from '../../core/engine/state.js';
import type { ProcessOutput, WindowEngine } from '../../core/engine/window-engine.js';
import type { DecodeOptions } from '../kinesis/decode.js';
import type { AnyPipeline } from '../pipeline-event.js';
import type { InboxRecord } from '../state/checkpoint.js';
import { type PreparedRecords, prepareRecords } from './prepare-records.js';

/**
 * Records a redrive took back from the stream wait in their shard's checkpoint (`redriveInbox`)
 * until the shard's own flow applies them, because only that flow may change the shard's windows.
 * An aggregator batch sends its window results before it writes its checkpoint; if a redrive
 * changed the windows in between, the batch's write would fail and its retry would send the same
 * windows again, under the same result ids, with other values. So a redrive only adds records to
 * the inbox (a conditional write that sends nothing), and:
 * - the next batch applies them AFTER its own records: a retry of a batch that lost its write to
 *   the redrive closes exactly the windows it closed before, with the same values, and the
 *   redriven records are then late for those windows, as records arriving after the batch would be;
 * - the idle flush applies them BEFORE it advances a quiet shard's stream time (it commits before
 *   it sends, so it has no such race).
 * Either way a redriven record counts in its window if the window is still open, and is kept
 * under `late/` otherwise.
 */

/** Records an inbox may hold: a shard's checkpoint is read and written on every batch. */
export const MAX_INBOX_RECORDS = 10_000;

/** The fields of a Lambda Kinesis record that an inbox keeps. */
export function toInbox(records: readonly KinesisStreamRecord[]): InboxRecord[] {
  return records.map(({ kinesis }) => ({
    sequenceNumber: kinesis.sequenceNumber,
    partitionKey: kinesis.partitionKey,
    data: kinesis.data,
    approximateArrivalTimestamp: kinesis.approximateArrivalTimestamp,
  }));
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
