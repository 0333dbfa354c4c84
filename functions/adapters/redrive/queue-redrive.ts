import type { KinesisStreamRecord } from 'aws-lambda';
import type { LoggerLike } from '../aggregator/dependencies.js';
import {
  applyInboxTo,
  type InboxDependencies,
  inboxDataBytes,
  MAX_INBOX_DATA_BYTES,
  MAX_INBOX_RECORDS,
  sendRedrivenPending,
  toInbox,
} from '../aggregator/redrive-inbox.js';
import { AdapterError, describeError, isTransient } from '../errors.js';
import {
  type Checkpoint,
  encodeCheckpoint,
  keptRedriven,
  readCheckpoint,
  redrivenAlready,
  takenRanges,
} from '../state/checkpoint.js';

/**
 * What queueing needs: the state store, and to apply records that change no window, the engine and
 * the late and dead-letter sinks (never the aggregates one: such a step closes no window).
 */
export type RedriveInboxDependencies = Omit<InboxDependencies, 'aggregates'>;

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
 * (redrive-inbox.ts), and records the range: a record in a recorded range, or in what the shard's
 * last batch write applied, is never queued again.
 * Those that change no window (late for every window they belong to at the shard's stream time, or
 * poison: `late-only`) do not wait: they go to the checkpoint's pending late records and dead
 * letters in the same write, and are sent and cleared right after it. One conditional write, which
 * keeps `updatedAt`: a CheckpointConflictError (the aggregator or the idle flush wrote first)
 * means try again on the new checkpoint. A dry run says what it would queue.
 */
export async function queueRedrive(
  shard: string,
  records: readonly KinesisStreamRecord[],
  range: { readonly from: string; readonly to: string },
  deps: RedriveInboxDependencies & {
    readonly now?: () => number;
    readonly logger?: LoggerLike;
    /** Asked after the checkpoint is read: a handover that starts later changes it, so this write loses. */
    readonly closedByReshard?: (shard: string) => Promise<boolean>;
  },
  options: { readonly dryRun?: boolean } = {},
): Promise<{ readonly redriven: number; readonly waiting: number; readonly skipped: number }> {
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
  // Applied by the shard's last batch write: the attempt that applied them may have failed after
  // it (a timeout), and Lambda gave up on the batch all the same.
  const taken = redrivenAlready(takenRanges(checkpoint));
  const fresh = records.filter((record) => !taken(record.kinesis.sequenceNumber));
  if (fresh.length === 0) return { redriven: 0, waiting: 0, skipped: records.length };
  const at = (deps.now ?? Date.now)();
  const appended: Checkpoint = {
    ...checkpoint,
    redriveInbox: [...checkpoint.redriveInbox, ...toInbox(fresh)],
  };
  const outcome = applyInboxTo(appended, deps, at, 'late-only');
  const after = outcome?.checkpoint ?? appended;
  // What would wait in the checkpoint: the records left in the inbox, and output committed before
  // and not sent yet (this redrive sends its own right after its write).
  const unsent = checkpoint.pendingLate.length + checkpoint.pendingDeadLetters.length;
  const inInbox = after.redriveInbox.length;
  if (inInbox + unsent > MAX_INBOX_RECORDS || inboxDataBytes(after.redriveInbox) > MAX_INBOX_DATA_BYTES) {
    throw new RedriveNotReadyError(
      'waiting',
      `shard ${shard} would have ${inInbox} redriven records waiting for their windows, and has ${unsent} late records and dead letters not sent yet (at most ${MAX_INBOX_RECORDS} records and ${MAX_INBOX_DATA_BYTES / 1024 / 1024} MiB wait at once): redrive again after its next batch`,
    );
  }
  const left = new Set(after.redriveInbox.map((record) => record.sequenceNumber));
  const counts = {
    redriven: fresh.length,
    waiting: fresh.filter((record) => left.has(record.kinesis.sequenceNumber)).length,
    skipped: records.length - fresh.length,
  };
  if (options.dryRun) return counts;
  const next: Checkpoint = {
    ...after,
    redriven: [...keptRedriven(checkpoint.redriven, at), { from: range.from, to: range.to, at }],
    // updatedAt stays the shard flow's: an aggregator batch whose write loses to this one tells by
    // it that nothing it computed from changed (aggregate-batch.ts, writeCheckpoint).
  };
  const written = await deps.stateStore.put(deps.pipeline.name, shard, encodeCheckpoint(next), etag);
  if (!outcome) return counts;
  let cleared: boolean;
  try {
    cleared = await sendRedrivenPending({ checkpoint: next, etag: written }, outcome, deps);
  } catch (error) {
    // Anything but a passing failure (a missing permission, a wrong stream name, a bug) fails the
    // batch, and the run, as before: the records wait in the checkpoint either way.
    if (!isTransient(error)) throw error;
    // Committed: the shard's next batch (or the idle flush) sends what is pending. A retry here
    // would find the range taken and report the records as redriven before.
    deps.logger?.warn('redriven records committed, not sent yet: the shard sends them', {
      shard,
      error: describeError(error),
    });
    return counts;
  }
  if (!cleared) {
    deps.logger?.warn(
      'redriven records sent, still pending in the checkpoint: the shard may send them again',
      {
        shard,
      },
    );
  }
  return counts;
}
