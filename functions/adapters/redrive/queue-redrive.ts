import type { KinesisStreamRecord } from 'aws-lambda';
import {
  inboxDataBytes,
  MAX_INBOX_DATA_BYTES,
  MAX_INBOX_RECORDS,
  toInbox,
} from '../aggregator/redrive-inbox.js';
import { AdapterError } from '../errors.js';
import type { AnyPipeline } from '../pipeline-event.js';
import { encodeCheckpoint, keptRedriven, readCheckpoint, redrivenAlready } from '../state/checkpoint.js';
import type { StateStore } from '../state/state-store.js';

/** Why a shard cannot take a redrive now; the message stays for a later run. */
export class RedriveNotReadyError extends AdapterError {
  readonly retriable = false;
  constructor(
    readonly kind: 'resharded' | 'waiting',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Puts records the mapping gave up on (sequence numbers `range.from` to `range.to` of `shard`,
 * read back from the stream) into the shard checkpoint's inbox, for the shard's own flow to apply
 * (redrive-inbox.ts), and records the range: a record in a recorded range is never queued again.
 * One conditional write, nothing sent: a CheckpointConflictError (the aggregator or the idle flush
 * wrote first) means try again on the new checkpoint. A dry run says what it would queue.
 */
export async function queueRedrive(
  shard: string,
  records: readonly KinesisStreamRecord[],
  range: { readonly from: string; readonly to: string },
  deps: {
    readonly pipeline: AnyPipeline;
    readonly stateStore: StateStore;
    readonly now?: () => number;
    /** Asked after the checkpoint is read: a handover that starts later changes it, so this write loses. */
    readonly closedByReshard?: (shard: string) => Promise<boolean>;
  },
  options: { readonly dryRun?: boolean } = {},
): Promise<{ readonly queued: number; readonly skipped: number }> {
  const stored = await readCheckpoint(deps.stateStore, deps.pipeline.name, shard);
  if (!stored) {
    // Creating it here would keep the shard's first batch from taking state over from its parents.
    throw new RedriveNotReadyError(
      'waiting',
      `shard ${shard} has no checkpoint yet: redrive after its first batch`,
    );
  }
  const { checkpoint, etag } = stored;
  if (checkpoint.handingOver.length > 0 || (await deps.closedByReshard?.(shard))) {
    throw new RedriveNotReadyError(
      'resharded',
      checkpoint.handingOver.length > 0
        ? `shard ${shard} is handing its keys over to ${checkpoint.handingOver.join(', ')}: its windows are moving`
        : `shard ${shard} was split or merged since, and its keys' windows moved to its children; redriving into a closed shard is not supported`,
    );
  }
  const taken = redrivenAlready(checkpoint.redriven);
  const fresh = records.filter((record) => !taken(record.kinesis.sequenceNumber));
  if (fresh.length === 0) return { queued: 0, skipped: records.length };
  const waiting = checkpoint.redriveInbox.length;
  const bytes = inboxDataBytes(checkpoint.redriveInbox) + inboxDataBytes(toInbox(fresh));
  if (waiting + fresh.length > MAX_INBOX_RECORDS || bytes > MAX_INBOX_DATA_BYTES) {
    throw new RedriveNotReadyError(
      'waiting',
      `shard ${shard} has ${waiting} redriven records not applied yet (at most ${MAX_INBOX_RECORDS} records and ${MAX_INBOX_DATA_BYTES / 1024 / 1024} MiB wait at once): redrive again after its next batch`,
    );
  }
  if (options.dryRun) return { queued: fresh.length, skipped: records.length - fresh.length };
  const at = (deps.now ?? Date.now)();
  const next = {
    ...checkpoint,
    redriveInbox: [...checkpoint.redriveInbox, ...toInbox(fresh)],
    redriven: [...keptRedriven(checkpoint.redriven, at), { from: range.from, to: range.to, at }],
    // updatedAt stays the shard flow's: an aggregator batch whose write loses to this one tells by
    // it that nothing it computed from changed (aggregate-batch.ts, writeCheckpoint).
  };
  await deps.stateStore.put(deps.pipeline.name, shard, encodeCheckpoint(next), etag);
  return { queued: fresh.length, skipped: records.length - fresh.length };
}
