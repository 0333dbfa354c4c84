import type { KinesisStreamRecord } from 'aws-lambda';
import { MAX_INBOX_RECORDS, toInbox } from '../aggregator/redrive-inbox.js';
import type { AnyPipeline } from '../pipeline-event.js';
import { encodeCheckpoint, keptRedriven, readCheckpoint, redrivenAlready } from '../state/checkpoint.js';
import type { StateStore } from '../state/state-store.js';

/** Why a shard cannot take a redrive now; the message stays for a later run. */
export class RedriveNotReadyError extends Error {
  override readonly name = 'RedriveNotReadyError';
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
  deps: { readonly pipeline: AnyPipeline; readonly stateStore: StateStore; readonly now?: () => number },
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
  if (checkpoint.handingOver.length > 0) {
    throw new RedriveNotReadyError(
      'resharded',
      `shard ${shard} is handing its keys over to ${checkpoint.handingOver.join(', ')}: its windows are moving`,
    );
  }
  const taken = redrivenAlready(checkpoint.redriven);
  const fresh = records.filter((record) => !taken(record.kinesis.sequenceNumber));
  if (fresh.length === 0) return { queued: 0, skipped: records.length };
  const waiting = checkpoint.redriveInbox.length;
  if (waiting + fresh.length > MAX_INBOX_RECORDS) {
    throw new RedriveNotReadyError(
      'waiting',
      `shard ${shard} has ${waiting} redriven records not applied yet (at most ${MAX_INBOX_RECORDS} wait at once): redrive again after its next batch`,
    );
  }
  if (options.dryRun) return { queued: fresh.length, skipped: records.length - fresh.length };
  const at = (deps.now ?? Date.now)();
  const next = {
    ...checkpoint,
    redriveInbox: [...checkpoint.redriveInbox, ...toInbox(fresh)],
    redriven: [...keptRedriven(checkpoint.redriven, at), { from: range.from, to: range.to, at }],
    updatedAt: at,
  };
  await deps.stateStore.put(deps.pipeline.name, shard, encodeCheckpoint(next), etag);
  return { queued: fresh.length, skipped: records.length - fresh.length };
}
