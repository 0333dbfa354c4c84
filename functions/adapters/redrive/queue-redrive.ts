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
import { AdapterError, describeError, isRetriable, isTransient } from '../errors.js';
import { routesTo, type ShardInfo } from '../kinesis/shard-lineage.js';
import {
  type Checkpoint,
  encodeCheckpoint,
  keptRedriven,
  rangeRedriven,
  readCheckpoint,
  redrivenAlready,
  type StoredCheckpoint,
  takenFrom,
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

/** What queueing a redrive needs besides the inbox's dependencies. */
export type QueueRedriveDependencies = RedriveInboxDependencies & {
  readonly now?: () => number;
  readonly logger?: LoggerLike;
  /**
   * The shards a split or merge of a shard made (kinesis-redrive-source.ts). Without it, records
   * are queued in the shard they were read from, as if it were never resharded.
   */
  readonly childrenOf?: (shard: string) => Promise<readonly ShardInfo[]>;
};

type Counts = { readonly redriven: number; readonly waiting: number; readonly skipped: number };

/** Attempts at one shard's write when it loses to the aggregator (or a flush) writing first. */
const ATTEMPTS = 3;
/** How far down through splits and merges a record's key is followed. */
const MAX_GENERATIONS = 16;

/**
 * Puts records the mapping gave up on (sequence numbers `range.from` to `range.to` of `shard`,
 * read back from the stream) into the inbox of the checkpoint that holds their keys' windows, for
 * that shard's own flow to apply (redrive-inbox.ts), and records the range: a record in a recorded
 * range, or in what the shard's last batch write applied, is never queued again.
 *
 * The checkpoint is `shard`'s, or after a split or merge that of the descendant its key went to
 * once that one took its keys over (shard-handover.ts): a child that has not yet takes them, with
 * the parent's inbox, in its first batch. There the range is recorded under `shard`'s name
 * (`redrivenFrom`): another shard's sequence numbers never mean that one's records.
 *
 * Those that change no window (late for every window they belong to at the target's stream time,
 * or poison: `late-only`) do not wait: they go to the checkpoint's pending late records and dead
 * letters in the same write, and are sent and cleared right after it. One conditional write per
 * target, which keeps `updatedAt`, tried again (up to 3 times) on the new checkpoint when the
 * aggregator or the idle flush wrote first. A dry run says what it would queue.
 */
export async function queueRedrive(
  shard: string,
  records: readonly KinesisStreamRecord[],
  range: { readonly from: string; readonly to: string },
  deps: QueueRedriveDependencies,
  options: { readonly dryRun?: boolean } = {},
): Promise<Counts> {
  const source = await readOwner(shard, deps);
  // Applied by the shard's last batch write: the attempt that applied them may have failed after
  // it (a timeout), and Lambda gave up on the batch all the same.
  const taken = redrivenAlready(takenRanges(source.checkpoint));
  const fresh = records.filter((record) => !taken(record.kinesis.sequenceNumber));
  const skippedHere = records.length - fresh.length;
  if (fresh.length === 0) return { redriven: 0, waiting: 0, skipped: skippedHere };
  const { routes, skipped } = await routeToOwners(shard, fresh, deps);
  // The shard's own checkpoint last, and always: it records the whole range, which a later run
  // (another copy of the message) then skips, so only once every descendant has its records. It
  // also moves the shard's idle flush past the range (idle-flush.ts, deliveredThrough).
  const own = routes.find((route) => route.target === shard) ?? { target: shard, records: [] };
  const ordered = [...routes.filter((route) => route !== own), own];
  let counts: Counts = { redriven: 0, waiting: 0, skipped: skippedHere + skipped };
  for (const route of ordered) {
    const queued = await queueWithRetries(route, { shard, range, deps, options });
    counts = {
      redriven: counts.redriven + queued.redriven,
      waiting: counts.waiting + queued.waiting,
      skipped: counts.skipped + queued.skipped,
    };
  }
  return counts;
}

/** A checkpoint that may take redriven records: it exists, and none of its keys are moving. */
async function readOwner(shard: string, deps: QueueRedriveDependencies): Promise<StoredCheckpoint> {
  const stored = await readCheckpoint(deps.stateStore, deps.pipeline.name, shard);
  if (!stored) {
    // Creating it here would keep the shard's first batch from taking state over from its parents.
    throw new RedriveNotReadyError(
      'waiting',
      `shard ${shard} has no checkpoint yet: redrive after its first batch`,
    );
  }
  if (stored.checkpoint.handingOver.length > 0) {
    throw new RedriveNotReadyError(
      'resharded',
      `shard ${shard} is handing its keys over to ${stored.checkpoint.handingOver.join(', ')}: its windows are moving; redrive again after their first batches`,
    );
  }
  return stored;
}

/** Records for one checkpoint: `shard`'s own, or a descendant's that took their keys over. */
interface Route {
  readonly target: string;
  readonly records: KinesisStreamRecord[];
}

/**
 * Where each record's key lives now: down from `shard` to the last descendant on the key's path
 * that took its keys over (has a checkpoint), through descendants that never had a batch (as the
 * handover walks: shard-handover.ts, sourcesOf). Records a shard on the way recorded as redriven
 * from `shard` are skipped: queued there before that shard handed its keys on.
 */
async function routeToOwners(
  shard: string,
  records: readonly KinesisStreamRecord[],
  deps: QueueRedriveDependencies,
): Promise<{ routes: Route[]; skipped: number }> {
  const childrenOf = deps.childrenOf;
  if (!childrenOf) return { routes: [{ target: shard, records: [...records] }], skipped: 0 };
  const children = memoized(childrenOf);
  const checkpoints = memoized((id: string) => readCheckpoint(deps.stateStore, deps.pipeline.name, id));
  // Each checkpoint's ranges from `shard`, parsed once for all the records that pass it.
  const takenIn = memoized((checkpoint: Checkpoint) => redrivenAlready(takenFrom(checkpoint, shard)));
  const routes = new Map<string, KinesisStreamRecord[]>();
  let skipped = 0;
  for (const record of records) {
    let owner = shard;
    const seen: Checkpoint[] = [];
    for (let depth = 0; depth < MAX_GENERATIONS; depth++) {
      const below = await ownerBelow(owner, record.kinesis.partitionKey, children, checkpoints);
      if (!below) break;
      seen.push(below.checkpoint);
      owner = below.checkpoint.shard;
    }
    const sequence = record.kinesis.sequenceNumber;
    if (seen.some((checkpoint) => takenIn(checkpoint)(sequence))) {
      skipped++;
      continue;
    }
    const route = routes.get(owner);
    if (route) route.push(record);
    else routes.set(owner, [record]);
  }
  return { routes: [...routes].map(([target, rs]) => ({ target, records: rs })), skipped };
}

/**
 * The nearest shard below `shard` on the key's path that has a checkpoint (took the key's windows
 * over), through children that never had a batch; undefined when none has.
 */
async function ownerBelow(
  shard: string,
  partitionKey: string,
  children: (shard: string) => Promise<readonly ShardInfo[]>,
  checkpoints: (shard: string) => Promise<StoredCheckpoint | undefined>,
): Promise<StoredCheckpoint | undefined> {
  let at = shard;
  for (let depth = 0; depth < MAX_GENERATIONS; depth++) {
    const child = (await children(at)).find((c) => routesTo(partitionKey, c));
    if (!child) return undefined;
    const stored = await checkpoints(child.shardId);
    if (stored) return stored;
    at = child.shardId;
  }
  return undefined;
}

/** `fn` called once per argument (compared by identity). */
function memoized<A, T>(fn: (argument: A) => T): (argument: A) => T {
  const known = new Map<A, T>();
  return (argument) => {
    if (!known.has(argument)) known.set(argument, fn(argument));
    return known.get(argument) as T;
  };
}

/** One queueRedrive call: the shard and range read back, and how to queue. */
interface Job {
  readonly shard: string;
  readonly range: { readonly from: string; readonly to: string };
  readonly deps: QueueRedriveDependencies;
  readonly options: { readonly dryRun?: boolean };
}

async function queueWithRetries(route: Route, job: Job): Promise<Counts> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await queueInto(route, job);
    } catch (error) {
      // The aggregator or the idle flush wrote the checkpoint first: read it again.
      if (attempt >= ATTEMPTS || !isRetriable(error)) throw error;
    }
  }
}

/** Queues a route's records in its target's checkpoint: one conditional write. */
async function queueInto(route: Route, { shard, range, deps, options }: Job): Promise<Counts> {
  const { target, records } = route;
  const { checkpoint, etag } = await readOwner(target, deps);
  // Asked after the checkpoint is read: a handover that starts later writes it, so this write loses.
  await stillOwner(target, records, deps);
  const own = target === shard;
  const taken = own ? takenRanges(checkpoint) : takenFrom(checkpoint, shard);
  const takenAlready = redrivenAlready(taken);
  const fresh = records.filter((record) => !takenAlready(record.kinesis.sequenceNumber));
  // The shard's own write records the range even without records of its own (queueRedrive).
  const recordRange = own && !rangeRedriven(taken, range.from, range.to);
  if (fresh.length === 0 && !recordRange) return { redriven: 0, waiting: 0, skipped: records.length };
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
      `shard ${target} would have ${inInbox} redriven records waiting for their windows, and has ${unsent} late records and dead letters not sent yet (at most ${MAX_INBOX_RECORDS} records and ${MAX_INBOX_DATA_BYTES / 1024 / 1024} MiB wait at once): redrive again after its next batch`,
    );
  }
  const left = new Set(after.redriveInbox.map((record) => record.sequenceNumber));
  const counts = {
    redriven: fresh.length,
    waiting: fresh.filter((record) => left.has(record.kinesis.sequenceNumber)).length,
    skipped: records.length - fresh.length,
  };
  if (options.dryRun) return counts;
  const recorded = { from: range.from, to: range.to, at };
  const next: Checkpoint = {
    ...after,
    ...(own
      ? { redriven: [...keptRedriven(checkpoint.redriven, at), recorded] }
      : { redrivenFrom: [...keptRedriven(checkpoint.redrivenFrom, at), { ...recorded, shard }] }),
    // updatedAt stays the shard flow's: an aggregator batch whose write loses to this one tells by
    // it that nothing it computed from changed (aggregate-batch.ts, writeCheckpoint).
  };
  const written = await deps.stateStore.put(deps.pipeline.name, target, encodeCheckpoint(next), etag);
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
      shard: target,
      error: describeError(error),
    });
    return counts;
  }
  if (!cleared) {
    deps.logger?.warn(
      'redriven records sent, still pending in the checkpoint: the shard may send them again',
      { shard: target },
    );
  }
  return counts;
}

/**
 * Throws unless `target` still holds the windows of every record's key: no shard below it on the
 * key's path has a checkpoint (none took the key over; the first to do so takes what is queued
 * here with it). Read afresh, after the target's checkpoint.
 */
async function stillOwner(
  target: string,
  records: readonly KinesisStreamRecord[],
  deps: QueueRedriveDependencies,
): Promise<void> {
  const childrenOf = deps.childrenOf;
  if (!childrenOf) return;
  const children = memoized(childrenOf);
  const checkpoints = memoized((id: string) => readCheckpoint(deps.stateStore, deps.pipeline.name, id));
  for (const record of records) {
    const below = await ownerBelow(target, record.kinesis.partitionKey, children, checkpoints);
    if (below) {
      throw new RedriveNotReadyError(
        'waiting',
        `shard ${below.checkpoint.shard} took keys of ${target} over while the redrive ran: redrive again`,
      );
    }
  }
}
