import { CoreError } from '../../core/errors.js';
import {
  BacklogCheckError,
  CheckpointConflictError,
  CheckpointCorruptError,
  SkippedCheckpointsError,
} from '../errors.js';
import type { RecordPosition } from '../kinesis/decode.js';
import {
  type Checkpoint,
  CLOCK_SKEW_MS,
  encodeCheckpoint,
  readCheckpoint,
  type StoredCheckpoint,
} from '../state/checkpoint.js';
import type { AggregatorDependencies } from './dependencies.js';
import { silentLogger } from './dependencies.js';
import { toAggregateRecords } from './output-records.js';
import { applyRedriveInbox, sendPending } from './redrive-inbox.js';
import type { StreamBacklog } from './stream-backlog.js';

/** How long a shard handover may stay open before the flush warns about it. */
const STUCK_HANDOVER_MS = 15 * 60_000;
/**
 * How long a quiet shard may stay behind before the flush warns: far past a retried batch's
 * retries (10 by default, each within the aggregator's 60 s timeout).
 */
const LONG_BEHIND_MS = 15 * 60_000;

/** What the idle flush needs: the aggregator's dependencies minus the input side, plus the timeout. */
export interface IdleFlushDependencies
  extends Pick<
    AggregatorDependencies,
    'pipeline' | 'engine' | 'stateStore' | 'aggregates' | 'logger' | 'now' | 'decode'
  > {
  /**
   * For records a redrive queued in a quiet shard (redrive-inbox.ts): those whose windows closed,
   * and those the pipeline no longer accepts.
   */
  readonly late: AggregatorDependencies['late'];
  readonly deadLetters: AggregatorDependencies['deadLetters'];
  /** A shard without records for longer than this is idle. */
  readonly idleTimeoutMs: number;
  /** Whether a quiet shard still holds records its event source mapping may deliver. */
  readonly backlog: StreamBacklog;
}

/** What one flush did. */
export interface IdleFlushOutcome {
  readonly shardsChecked: number;
  readonly shardsFlushed: number;
  readonly windowsClosed: number;
  /** Shards whose checkpoint changed under us (the aggregator won): tried again next run. */
  readonly conflicts: number;
  /**
   * Quiet shards left alone because their stream holds records after the checkpoint that the
   * mapping may still deliver (stream-backlog.ts): behind, not idle.
   */
  readonly behind: number;
}

/**
 * The quiet-shard answer: stream time only moves with records, so a shard that stops receiving
 * them would keep its last windows open forever. For each shard idle longer than the timeout,
 * stream time advances by the idle wall-clock time (from where the last batch left it) and the
 * windows that passes are emitted.
 *
 * The flush and the aggregator may write a shard's checkpoint at the same moment, so the flush
 * commits before it sends: the closed windows go into the checkpoint's `pending` with a conditional
 * write, then to the aggregates stream, then `pending` is emptied. A flush that loses the race has
 * sent nothing (had it sent first, its results, from a state without the aggregator's new records,
 * would share ids with the right ones and could win the warehouse's one-row-per-id). A flush that
 * dies after its write leaves the results pending: the next flush or batch sends them.
 *
 * A quiet shard whose stream still holds records after the checkpoint is behind, not idle: a batch
 * may have sent results and died, and its retry must find the state it left (stream-backlog.ts).
 * When that cannot be checked for a shard, the shard is left alone and, once every other shard is
 * done, the run fails with BacklogCheckError (the function's error alarm), never flushing blind.
 */
export async function flushIdleShards(deps: IdleFlushDependencies): Promise<IdleFlushOutcome> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const { pipeline, stateStore } = deps;
  const outcome = { shardsChecked: 0, shardsFlushed: 0, windowsClosed: 0, conflicts: 0, behind: 0 };
  const uncheckable: { shard: string; error: unknown }[] = [];
  const skipped: { shard: string; reason: string }[] = [];
  for (const shard of await stateStore.list(pipeline.name)) {
    outcome.shardsChecked += 1;
    let stored: StoredCheckpoint | undefined;
    try {
      stored = await readCheckpoint(stateStore, pipeline.name, shard);
    } catch (error) {
      if (!(error instanceof CheckpointCorruptError)) throw error;
      // One unreadable checkpoint must not keep every other shard's windows open.
      logger.error('checkpoint unreadable; shard skipped', { shard, error: error.message });
      skipped.push({ shard, reason: error.message });
      continue;
    }
    if (!stored) continue;
    let { checkpoint, etag } = stored;
    const at = now();
    // The invocation holding the shard sends any pending results itself.
    if (isClaimed(checkpoint, at)) continue;
    // Child shards are taking keys over from it (shard-handover.ts): its windows are moving.
    if (checkpoint.handingOver.length > 0) {
      // A handover happens at the start of a child's first batch. One still open long after the
      // parent last changed means the handover itself keeps failing (ListShards, the state store):
      // until it completes, this shard's windows stay open.
      const details = { shard, children: checkpoint.handingOver, since: checkpoint.updatedAt };
      if (at - checkpoint.updatedAt > STUCK_HANDOVER_MS) {
        logger.warn(
          'shard handover not completed: its windows stay open until the child shards take them',
          details,
        );
      } else {
        logger.info('shard left alone while its keys move to child shards', details);
      }
      continue;
    }
    let closed: ReturnType<typeof closeIdleWindows>;
    let takes: boolean;
    try {
      takes = flushTakes(checkpoint, deps.idleTimeoutMs, at);
      closed = takes ? closeIdleWindows(checkpoint, shard, at, deps) : undefined;
    } catch (error) {
      if (!(error instanceof CoreError)) throw error;
      // A state this code refuses (windows of another pipeline definition: a deploy the state
      // check did not guard) must not keep every other shard's windows open either.
      logger.error('checkpoint refused by the engine; shard skipped', { shard, error: error.message });
      skipped.push({ shard, reason: error.message });
      continue;
    }
    const inbox = takes && checkpoint.redriveInbox.length > 0;
    // The stream is asked only when the flush would change the shard: one with nothing open and
    // nothing queued (a parent emptied by a reshard, which leaves the stream after its retention)
    // costs no calls.
    const backlog = closed === undefined && !inbox ? 'none' : await backlogOf(deps, shard, checkpoint, at);
    if (inbox && backlog === 'none') {
      // Records a redrive queued, applied only here: on a quiet shard whose mapping has nothing
      // left to deliver, so no failed batch attempt waits for a retry that must find the state it
      // left (redrive-inbox.ts). Committed, then sent; then the windows close as usual.
      const step = await applyRedriveInbox({ checkpoint, etag }, deps, at);
      if (!step.stored) {
        // Its commit lost (nothing sent), or its clearing write did (its output sent, and pending
        // for whoever wrote first): that writer has the shard now.
        if (!step.committed) outcome.conflicts += 1;
        continue;
      }
      ({ checkpoint, etag } = step.stored);
      logger.info('redriven records applied', { shard, records: step.records, late: step.late });
      closed = closeIdleWindows(checkpoint, shard, at, deps);
    }
    if (backlog === 'undelivered') {
      closed = undefined;
      outcome.behind += 1;
      const quietMs = at - (checkpoint.lastActivity?.at ?? at);
      const details = { shard, position: checkpoint.position?.sequenceNumber ?? null, quietMs };
      if (quietMs > LONG_BEHIND_MS) {
        // On Kinesis the flush cannot see what the mapping gave up on (on MSK its commits show it).
        logger.warn(
          "shard behind for long: its mapping may have given up on its last records (see the dead-letter queue); its windows stay open until they are older than the mapping's maximum record age",
          details,
        );
      } else {
        logger.info(
          'quiet shard left to the aggregator: its stream holds records not delivered yet',
          details,
        );
      }
    } else if (backlog !== 'none') {
      closed = undefined;
      uncheckable.push({ shard, error: backlog.failed });
      logger.error('backlog check failed; shard left alone', { shard, error: String(backlog.failed) });
    }
    if (closed !== undefined) {
      checkpoint = {
        ...checkpoint,
        engine: closed.state,
        pending: [...checkpoint.pending, ...closed.records],
        updatedAt: at,
      };
      try {
        etag = await stateStore.put(pipeline.name, shard, encodeCheckpoint(checkpoint), etag);
      } catch (error) {
        if (!(error instanceof CheckpointConflictError)) throw error;
        // The aggregator wrote first; nothing was sent. The next run starts from its checkpoint.
        outcome.conflicts += 1;
        logger.warn('idle flush lost the checkpoint race', { shard });
        continue;
      }
      outcome.shardsFlushed += 1;
      outcome.windowsClosed += closed.records.length;
      logger.info('idle shard flushed', {
        shard,
        streamTime: closed.state.streamTime,
        windows: closed.records.length,
      });
    }
    if (!(await sendPending({ checkpoint, etag }, deps))) {
      // Another writer took the checkpoint over in the meantime and sends the pending output itself.
      logger.info('pending output left to the writer that came first', { shard });
    }
  }
  if (uncheckable.length > 0) throw new BacklogCheckError(uncheckable, outcome);
  if (skipped.length > 0) throw new SkippedCheckpointsError(skipped, outcome);
  return outcome;
}

/** Whether the shard's stream holds records after its checkpoint that its mapping may still deliver. */
async function backlogOf(
  deps: IdleFlushDependencies,
  shard: string,
  checkpoint: Checkpoint,
  at: number,
): Promise<'none' | 'undelivered' | { readonly failed: unknown }> {
  try {
    const position = deliveredThrough(checkpoint);
    return (await deps.backlog.hasUndelivered(shard, position, at)) ? 'undelivered' : 'none';
  } catch (error) {
    return { failed: error };
  }
}

/**
 * Where the mapping is past in the shard: the checkpoint's position, or the end of a range it gave
 * up on and a redrive took back, when later (it never delivers those records again).
 */
function deliveredThrough(checkpoint: Checkpoint): RecordPosition | null {
  let through = checkpoint.position;
  for (const range of checkpoint.redriven) {
    if (through === null || BigInt(range.to) > BigInt(through.sequenceNumber)) {
      through = { sequenceNumber: range.to, subSequenceNumber: undefined };
    }
  }
  return through;
}

/** Whether an aggregator invocation holds the shard at `at`: it claimed the checkpoint before sending. */
function isClaimed(checkpoint: Checkpoint, at: number): boolean {
  return checkpoint.busyUntil !== null && at <= checkpoint.busyUntil + CLOCK_SKEW_MS;
}

/**
 * Whether a flush running at `at` takes this shard: it has something to do (a stream time to
 * advance, or records a redrive queued), the shard has been idle for longer than the timeout, and
 * no aggregator invocation holds it. The aggregator asks the same of its own deadline before it
 * sends, and claims the shard when the answer is yes (aggregate-batch.ts).
 */
export function flushTakes(checkpoint: Checkpoint, idleTimeoutMs: number, at: number): boolean {
  const activity = checkpoint.lastActivity;
  const hasStreamTime = activity !== null && activity.streamTime !== null;
  if (!hasStreamTime && checkpoint.redriveInbox.length === 0) return false;
  const since = activity?.at ?? checkpoint.updatedAt;
  return at - since > idleTimeoutMs && !isClaimed(checkpoint, at);
}

/**
 * Stream time advanced by how long the shard has been idle, and the windows that closes, as
 * aggregate records; undefined when nothing closes (moving stream time alone is recomputed from
 * lastActivity next time, no write needed). Only for a shard the flush takes (flushTakes). On a
 * copy of the state: the engine updates a state in place, and a flush that closes nothing, or that
 * the backlog check stops, must leave the checkpoint it writes next (clearing `pending`) as read.
 */
function closeIdleWindows(checkpoint: Checkpoint, shard: string, at: number, deps: IdleFlushDependencies) {
  const activity = checkpoint.lastActivity;
  // A shard taken for its redrive inbox alone may have no stream time to advance.
  if (activity === null || activity.streamTime === null) return undefined;
  const state = structuredClone(checkpoint.engine);
  const output = deps.engine.advanceTo(state, activity.streamTime + (at - activity.at));
  if (output.results.length === 0) return undefined;
  const records = toAggregateRecords(output.results, {
    pipeline: deps.pipeline.name,
    shard,
    emittedAt: at,
  });
  return { state: output.state, records };
}
