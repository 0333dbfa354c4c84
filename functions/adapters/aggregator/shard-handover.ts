import type { EngineState } from '../../core/engine/state.js';
import { mergeStates, partitionState } from '../../core/engine/state-partition.js';
import type { WindowResult } from '../../core/types.js';
import { routesTo, type ShardInfo } from '../kinesis/shard-lineage.js';
import {
  type Checkpoint,
  encodeCheckpoint,
  readCheckpoint,
  type StoredCheckpoint,
} from '../state/checkpoint.js';
import type { AggregatorDependencies } from './dependencies.js';
import { toAggregateRecords } from './output-records.js';

/**
 * Windows across a reshard. State and stream time are per shard, and after a split or a merge a
 * key's records go to a child shard: without a handover, a window open at that moment would be
 * emitted twice, in part by the parent (closed by the idle flush) and in part by the child, under
 * two result ids. So the first batch of a shard without a checkpoint takes the state of its keys
 * from its parent shards (or, for a parent that never had a batch, from that one's parents).
 * Lambda processes a parent shard to its end before its children, so the parents' state is final.
 *
 * Every step is a conditional write, and each can be retried after a crash:
 * 1. each source lists the child in `handingOver` (the idle flush leaves it alone from then on,
 *    and a flush that read it before loses its own write, having sent nothing);
 * 2. the child's checkpoint is created with the sources' state for its keys, at the latest of their
 *    stream times, listing the sources in `inheritedFrom`;
 * 3. each source drops those keys and the child from `handingOver`; the child's next checkpoint
 *    write empties `inheritedFrom`.
 * A crash before 2 repeats 1-3 (1 is then a no-op); a crash after 2 finds `inheritedFrom` and
 * repeats 3, which only removes what is still there.
 */

/** How far back through shards that never had a batch to look for state. */
const MAX_GENERATIONS = 16;

function read(deps: AggregatorDependencies, shard: string): Promise<StoredCheckpoint | undefined> {
  return readCheckpoint(deps.stateStore, deps.pipeline.name, shard);
}

async function write(
  deps: AggregatorDependencies,
  checkpoint: Checkpoint,
  etag: string | undefined,
): Promise<string> {
  return deps.stateStore.put(deps.pipeline.name, checkpoint.shard, encodeCheckpoint(checkpoint), etag);
}

/**
 * The checkpoints of the nearest ancestors of `child` that have one, through ancestors that have
 * none, as read (the handover marks them with these ETags).
 */
async function sourcesOf(
  deps: AggregatorDependencies,
  streamArn: string,
  child: ShardInfo,
): Promise<StoredCheckpoint[]> {
  const lineage = deps.lineage;
  if (!lineage) return [];
  // Each shard once: after a split then a merge, both parents lead to the same grandparent (whose
  // keys must be taken once).
  const sources: StoredCheckpoint[] = [];
  const seen = new Set<string>();
  let generation = [child.parentShardId, child.adjacentParentShardId].filter((id) => id !== undefined);
  for (let depth = 0; generation.length > 0 && depth < MAX_GENERATIONS; depth++) {
    const next = new Set<string>();
    for (const shard of generation) {
      if (seen.has(shard)) continue;
      seen.add(shard);
      const stored = await read(deps, shard);
      if (stored) {
        sources.push(stored);
        continue;
      }
      const info = await lineage.describe(streamArn, shard);
      for (const parent of [info?.parentShardId, info?.adjacentParentShardId]) if (parent) next.add(parent);
    }
    generation = [...next];
  }
  return sources;
}

/**
 * Whether a key's records go to `child`, hashed once per key: a time-window state lists a key in
 * every open pane it has records in (a dozen or more with an hour's grace).
 */
function routingTo(child: ShardInfo): (key: string) => boolean {
  const known = new Map<string, boolean>();
  return (key) => {
    let routed = known.get(key);
    if (routed === undefined) {
      routed = routesTo(key, child);
      known.set(key, routed);
    }
    return routed;
  };
}

/** Step 3 for one source: drops the child's keys there, once. */
async function releaseSource(
  deps: AggregatorDependencies,
  source: string,
  child: ShardInfo,
  routesToChild: (key: string) => boolean,
): Promise<void> {
  const stored = await read(deps, source);
  if (!stored?.checkpoint.handingOver.includes(child.shardId)) return;
  const { checkpoint, etag } = stored;
  await write(
    deps,
    {
      ...checkpoint,
      engine: partitionState(checkpoint.engine, routesToChild).kept,
      redriveInbox: checkpoint.redriveInbox.filter((r) => !routesToChild(r.partitionKey)),
      handingOver: checkpoint.handingOver.filter((shard) => shard !== child.shardId),
      updatedAt: (deps.now ?? Date.now)(),
    },
    etag,
  );
}

/**
 * The checkpoint a shard without one starts from: its keys' state taken from its ancestors (steps
 * 1-3), or undefined when none has state (a stream's first shards, or no lineage configured).
 */
export async function inheritState(
  deps: AggregatorDependencies,
  streamArn: string,
  shard: string,
): Promise<StoredCheckpoint | undefined> {
  const child = deps.lineage && (await deps.lineage.describe(streamArn, shard));
  if (!child) return undefined;
  const sources = await sourcesOf(deps, streamArn, child);
  if (sources.length === 0) return undefined;
  const now = (deps.now ?? Date.now)();
  const routesToChild = routingTo(child);
  const parts: EngineState[] = [];
  for (const { checkpoint, etag } of sources) {
    if (!checkpoint.handingOver.includes(shard)) {
      const marked = { ...checkpoint, handingOver: [...checkpoint.handingOver, shard], updatedAt: now };
      await write(deps, marked, etag);
    }
    parts.push(partitionState(checkpoint.engine, routesToChild).taken);
  }
  const sourceShards = sources.map((source) => source.checkpoint.shard);
  const { engine, closed } = joinAtLatestStreamTime(deps, parts);
  const inherited: Checkpoint = {
    pipeline: deps.pipeline.name,
    shard,
    position: null,
    engine,
    lastActivity: { at: now, streamTime: engine.streamTime },
    updatedAt: now,
    // The batch that created this sends them first, under this shard's result ids.
    pending: toAggregateRecords(closed, { pipeline: deps.pipeline.name, shard, emittedAt: now }),
    // A parent's own pending late records and dead letters stay with it, for its next reader.
    pendingLate: [],
    pendingDeadLetters: [],
    busyUntil: null,
    handingOver: [],
    inheritedFrom: sourceShards,
    // The ranges stay recorded with the parents, whose messages name them; a copy here, under the
    // parents' names, lets a redrive that queues in this shard check them under its own
    // conditional write (queue-redrive.ts): a run that read a parent before the handover.
    redriven: [],
    redrivenFrom: sources.flatMap(({ checkpoint }) => [
      ...checkpoint.redriven.map((range) => ({ ...range, shard: checkpoint.shard })),
      ...checkpoint.redrivenFrom,
    ]),
    lastApplied: [],
    // Records a redrive left with a parent for keys now routed here (redrive-inbox.ts).
    redriveInbox: sources.flatMap((source) =>
      source.checkpoint.redriveInbox.filter((r) => routesToChild(r.partitionKey)),
    ),
  };
  // Created, never overwritten: two attempts racing here cannot both win.
  const etag = await write(deps, inherited, undefined);
  deps.logger?.info('shard took its keys over from its parents', { shard, from: sourceShards });
  await finishHandover(deps, streamArn, inherited);
  return { checkpoint: inherited, etag };
}

/**
 * The parts taken from several parents as one state. In one partition, stream time would have
 * reached the latest of theirs, so each part first advances to it: a window of a slower parent
 * that closes on the way is a result now (`closed`). Merging without this would lose it, as the
 * engine counts every window closed by its stream time as already emitted.
 */
function joinAtLatestStreamTime(
  deps: AggregatorDependencies,
  parts: readonly EngineState[],
): { engine: EngineState; closed: WindowResult[] } {
  const times = parts.map((part) => part.streamTime).filter((t) => t !== null);
  const latest = times.length > 0 ? Math.max(...times) : null;
  const closed: WindowResult[] = [];
  let engine: EngineState | undefined;
  for (const part of parts) {
    // Every part goes through the engine, even one already at the latest stream time (or with
    // none): a drained parent of an older pipeline definition comes back in the current one, and
    // parts of two definitions would not merge.
    const advanced = latest !== null ? deps.engine.advanceTo(part, latest) : deps.engine.process(part, []);
    closed.push(...advanced.results);
    engine = engine === undefined ? advanced.state : mergeStates(engine, advanced.state);
  }
  return { engine: engine as EngineState, closed };
}

/** Step 3 for every source a child's checkpoint still lists. */
export async function finishHandover(
  deps: AggregatorDependencies,
  streamArn: string,
  checkpoint: Checkpoint,
): Promise<void> {
  if (checkpoint.inheritedFrom.length === 0) return;
  const child = deps.lineage && (await deps.lineage.describe(streamArn, checkpoint.shard));
  if (!child) throw new Error(`shard ${checkpoint.shard} inherited state but the stream no longer lists it`);
  const routesToChild = routingTo(child);
  for (const source of checkpoint.inheritedFrom) await releaseSource(deps, source, child, routesToChild);
}
