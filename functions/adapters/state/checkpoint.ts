import { z } from 'zod';
import type { EngineState } from '../../core/engine/state.js';
import { decodeState } from '../../core/engine/state-codec.js';
import type { AggregateRecord, LateOutputRecord } from '../aggregator/output-records.js';
import { CheckpointCorruptError } from '../errors.js';
import type { RecordPosition } from '../kinesis/decode.js';
import type { DeadLetter } from '../sinks/dead-letter-sink.js';
import type { StateStore } from './state-store.js';

/** Version of the checkpoint object layout. */
export const CHECKPOINT_VERSION = 1;

/** How far apart the clocks of an aggregator invocation and an idle flush may be. */
export const CLOCK_SKEW_MS = 10_000;

/** What a shard's checkpoint holds: the engine state and how far into the stream it got. */
export interface Checkpoint {
  readonly pipeline: string;
  readonly shard: string;
  /** The last record applied to `engine`; records at or below it are skipped on a retry. */
  readonly position: RecordPosition | null;
  readonly engine: EngineState;
  /**
   * Wall-clock time (epoch ms) of the last batch that carried records (or of a child shard's
   * handover, which starts it), and the stream time right after it: idle flush advances stream
   * time from there by the idle wall-clock time.
   */
  readonly lastActivity: { readonly at: number; readonly streamTime: number | null } | null;
  /** Wall-clock time of this write. */
  readonly updatedAt: number;
  /**
   * Window results this state has closed that may not be in the aggregates stream yet. The idle
   * flush commits the windows it closes here before it sends them, so a flush that loses the race
   * with the aggregator has sent nothing; whoever reads the checkpoint next sends them (again:
   * same ids, same values) before anything else. Empty in every checkpoint a batch commits; a
   * batch's claim (`busyUntil`) and a parent's handover writes carry the previous ones along, and a
   * child created by a merge starts with the slower parent's windows that the merge closed
   * (shard-handover.ts).
   */
  readonly pending: readonly AggregateRecord[];
  /**
   * Late records and dead letters committed with `pending` when the shard's redrive inbox was
   * applied (redrive-inbox.ts), sent the same way: by whoever reads the checkpoint next, first.
   */
  readonly pendingLate: readonly LateOutputRecord[];
  readonly pendingDeadLetters: readonly DeadLetter[];
  /**
   * Wall-clock time (epoch ms) until which an aggregator invocation that took this checkpoint may
   * still send results and write: the idle flush leaves the shard alone until then (see
   * aggregate-batch.ts, `claimBeforeSending`). Null when no invocation holds it.
   */
  readonly busyUntil: number | null;
  /**
   * Child shards taking their keys' state from this one after a reshard (shard-handover.ts). While
   * any is listed, the idle flush leaves the shard alone: its windows are moving.
   */
  readonly handingOver: readonly string[];
  /**
   * On a child shard: the shards it took state from that may still hold those keys (the handover
   * wrote the child first). The child removes them there before anything else, then empties this.
   */
  readonly inheritedFrom: readonly string[];
  /**
   * Ranges of this shard's stream that a redrive took (sent to late/ or queued in `redriveInbox`):
   * batches the event source mapping gave up on, taken back from the stream later. A record in one
   * is never queued again, so a redrive run twice (or two dead-letter messages naming the same
   * records) counts it once. Kept for {@link REDRIVE_MEMORY_MS}, longer than the dead-letter queue
   * keeps a message.
   */
  readonly redriven: readonly RedrivenRange[];
  /**
   * Ranges of an ancestor shard (split or merged since) whose records a redrive queued here, for
   * keys this shard took over (queue-redrive.ts): the ancestor's own `redriven` cannot hold them,
   * and sequence numbers of another shard never mean this one's records. Kept as `redriven` is.
   */
  readonly redrivenFrom: readonly AncestorRange[];
  /**
   * The records the shard's last batch write applied, as ranges first to last (empty before a
   * shard's first batch, and in a child shard until its own; on Kafka one per run of consecutive
   * offsets). A redrive skips them as it skips a redriven range. On Kafka, a retry that fails and
   * finds part of its batch in here marks that part as `redriven` (applied-ranges.ts): the attempt
   * that applied it may have ended before its mark.
   */
  readonly lastApplied: readonly AppliedRange[];
  /**
   * Records a redrive took back from the stream, waiting to be applied (redrive-inbox.ts): a batch,
   * after its write, applies those that change no window; the idle flush applies the others before
   * it advances a quiet shard.
   */
  readonly redriveInbox: readonly InboxRecord[];
}

/** A Kinesis record as a redrive keeps it in the inbox: the fields of a Lambda event's `kinesis`. */
export interface InboxRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** base64, as Lambda delivers it. */
  readonly data: string;
  /** Seconds since the epoch, fractional, as Lambda delivers it. */
  readonly approximateArrivalTimestamp: number;
}

/** Sequence numbers (Kafka: offsets) `from` to `to` (inclusive) of a shard that a batch applied. */
export interface AppliedRange {
  readonly from: string;
  readonly to: string;
}

/**
 * Sequence numbers (Kafka: offsets) `from` to `to` (inclusive) of a shard that a redrive must not
 * take: redriven at `at` (epoch ms), or on Kafka applied by a batch that failed in another
 * partition (applied-ranges.ts).
 */
export interface RedrivenRange {
  readonly from: string;
  readonly to: string;
  readonly at: number;
}

/** Sequence numbers `from` to `to` of the ancestor shard `shard`, redriven at `at` (epoch ms). */
export interface AncestorRange extends RedrivenRange {
  readonly shard: string;
}

/**
 * How long a checkpoint remembers a range after its `at`. A redriven range: its messages were sent
 * before, and the dead-letter queue keeps one 14 days. A Kafka mark (applied-ranges.ts): its
 * records were written before `at`, Lambda gives their batch up at the latest when they are older
 * than the maximum record age (at most 7 days, as infra/constructs/aggregator.ts allows), and the
 * message then lives 14 days. So 7 + 14 days, and one more for clocks and a late give-up.
 */
export const REDRIVE_MEMORY_MS = (7 + 14 + 1) * 24 * 3_600_000;

/**
 * What a redrive must not take again: the redriven ranges and what the last batch applied, merged,
 * so that a range covered only by the two together is still skipped whole (rangeRedriven).
 */
export function takenRanges(checkpoint: Checkpoint): readonly RedrivenRange[] {
  const { lastApplied, redriven } = checkpoint;
  if (lastApplied.length === 0) return redriven;
  return mergedRanges([...redriven, ...lastApplied.map((range) => ({ ...range, at: checkpoint.updatedAt }))]);
}

/** The ranges of the ancestor shard `shard` a redrive queued in this checkpoint. */
export function takenFrom(checkpoint: Checkpoint, shard: string): readonly RedrivenRange[] {
  return checkpoint.redrivenFrom.filter((range) => range.shard === shard);
}

/** The ranges still worth remembering at `now`. */
export function keptRedriven<R extends RedrivenRange>(ranges: readonly R[], now: number): R[] {
  return ranges.filter((range) => now - range.at < REDRIVE_MEMORY_MS);
}

/** Whether a redrive already took the record with a given sequence number (ranges parsed once). */
export function redrivenAlready(ranges: readonly RedrivenRange[]): (sequenceNumber: string) => boolean {
  const parsed = ranges.map((range) => [BigInt(range.from), BigInt(range.to)] as const);
  return (sequenceNumber) => {
    if (parsed.length === 0) return false;
    const sequence = BigInt(sequenceNumber);
    return parsed.some(([from, to]) => from <= sequence && sequence <= to);
  };
}

/** Whether every sequence number from `from` to `to` lies in one recorded range. */
export function rangeRedriven(ranges: readonly RedrivenRange[], from: string, to: string): boolean {
  const first = BigInt(from);
  const last = BigInt(to);
  return ranges.some((range) => BigInt(range.from) <= first && last <= BigInt(range.to));
}

/** `ranges` sorted, ranges that touch or overlap merged into one (the latest `at` kept). */
export function mergedRanges(ranges: readonly RedrivenRange[]): RedrivenRange[] {
  const sorted = ranges
    .map((range) => ({ from: BigInt(range.from), to: BigInt(range.to), at: range.at }))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const merged: { from: bigint; to: bigint; at: number }[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.from <= last.to + 1n) {
      if (range.to > last.to) last.to = range.to;
      last.at = Math.max(last.at, range.at);
    } else merged.push({ ...range });
  }
  return merged.map((range) => ({ from: String(range.from), to: String(range.to), at: range.at }));
}

const pendingResultSchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  key: z.string(),
  window_start: z.number(),
  window_end: z.number(),
  values: z.record(z.string(), z.unknown()).nullable(),
  shard: z.string(),
  emitted_at: z.number(),
});

const appliedRangeSchema = z.object({ from: z.string().regex(/^\d+$/), to: z.string().regex(/^\d+$/) });
const redrivenRangeSchema = appliedRangeSchema.extend({ at: z.number() });

const checkpointSchema = z.object({
  v: z.literal(CHECKPOINT_VERSION),
  pipeline: z.string(),
  shard: z.string(),
  position: z
    .object({ sequenceNumber: z.string().regex(/^\d+$/), subSequenceNumber: z.int().min(0).nullable() })
    .nullable(),
  engine: z.record(z.string(), z.unknown()),
  lastActivity: z.object({ at: z.number(), streamTime: z.number().nullable() }).nullable(),
  updatedAt: z.number(),
  // Absent in checkpoints written before the idle flush committed before sending: nothing pending.
  pending: z.array(pendingResultSchema).default([]),
  // Written as the aggregator builds them (output-records.ts, dead-letter-sink.ts); absent before
  // redrives: nothing pending.
  pendingLate: z.array(z.record(z.string(), z.unknown())).default([]),
  pendingDeadLetters: z.array(z.record(z.string(), z.unknown())).default([]),
  busyUntil: z.number().nullable().default(null),
  // Absent in checkpoints written before shard handover: none in progress.
  handingOver: z.array(z.string()).default([]),
  inheritedFrom: z.array(z.string()).default([]),
  // Absent in checkpoints written before redrives: none queued.
  redriven: z.array(redrivenRangeSchema).default([]),
  // Absent in checkpoints written before redrives followed keys to child shards: none.
  redrivenFrom: z.array(redrivenRangeSchema.extend({ shard: z.string() })).default([]),
  // Absent in checkpoints written before it was kept: unknown, as before a shard's first batch.
  // One range or null in checkpoints written before Kafka batches were cut at gaps.
  lastApplied: z
    .union([
      z.array(appliedRangeSchema),
      appliedRangeSchema.transform((range) => [range]),
      z.null().transform(() => []),
    ])
    .default([]),
  // Absent in checkpoints written before redrives: nothing waiting.
  redriveInbox: z
    .array(
      z.object({
        sequenceNumber: z.string().regex(/^\d+$/),
        partitionKey: z.string(),
        data: z.string(),
        approximateArrivalTimestamp: z.number(),
      }),
    )
    .default([]),
});

/** Serializes a checkpoint as the UTF-8 JSON object body. */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      v: CHECKPOINT_VERSION,
      pipeline: checkpoint.pipeline,
      shard: checkpoint.shard,
      position: checkpoint.position && {
        sequenceNumber: checkpoint.position.sequenceNumber,
        subSequenceNumber: checkpoint.position.subSequenceNumber ?? null,
      },
      engine: checkpoint.engine,
      lastActivity: checkpoint.lastActivity,
      updatedAt: checkpoint.updatedAt,
      pending: checkpoint.pending,
      pendingLate: checkpoint.pendingLate,
      pendingDeadLetters: checkpoint.pendingDeadLetters,
      busyUntil: checkpoint.busyUntil,
      handingOver: checkpoint.handingOver,
      inheritedFrom: checkpoint.inheritedFrom,
      redriven: checkpoint.redriven,
      redrivenFrom: checkpoint.redrivenFrom,
      lastApplied: checkpoint.lastApplied,
      redriveInbox: checkpoint.redriveInbox,
    }),
  );
}

/** Reads a checkpoint object; throws CheckpointCorruptError when it is not one. */
export function decodeCheckpoint(body: Uint8Array): Checkpoint {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (error) {
    throw new CheckpointCorruptError(`checkpoint must be JSON (${(error as Error).message})`);
  }
  const parsed = checkpointSchema.safeParse(data);
  if (!parsed.success) {
    throw new CheckpointCorruptError(
      `checkpoint does not have the expected shape: ${z.prettifyError(parsed.error)}`,
    );
  }
  const c = parsed.data;
  let engine: EngineState;
  try {
    // The engine validates its own state (version, shape) in its codec.
    engine = decodeState(JSON.stringify(c.engine));
  } catch (error) {
    throw new CheckpointCorruptError(`checkpoint ${c.pipeline}/${c.shard}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    pipeline: c.pipeline,
    shard: c.shard,
    position: c.position && {
      sequenceNumber: c.position.sequenceNumber,
      subSequenceNumber: c.position.subSequenceNumber ?? undefined,
    },
    engine,
    lastActivity: c.lastActivity,
    updatedAt: c.updatedAt,
    pending: c.pending,
    pendingLate: c.pendingLate as unknown as LateOutputRecord[],
    pendingDeadLetters: c.pendingDeadLetters as unknown as DeadLetter[],
    busyUntil: c.busyUntil,
    handingOver: c.handingOver,
    inheritedFrom: c.inheritedFrom,
    redriven: c.redriven,
    redrivenFrom: c.redrivenFrom,
    lastApplied: c.lastApplied,
    redriveInbox: c.redriveInbox,
  };
}

/** A shard's checkpoint as stored, with the ETag a conditional write of the next one must match. */
export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly etag: string;
}

/**
 * A shard's checkpoint, read and decoded (undefined before its first write); throws
 * CheckpointCorruptError when the object is not one.
 */
export async function readCheckpoint(
  store: StateStore,
  pipeline: string,
  shard: string,
): Promise<StoredCheckpoint | undefined> {
  const stored = await store.get(pipeline, shard);
  if (!stored || 'notModified' in stored) return undefined;
  return { checkpoint: decodeCheckpoint(stored.body), etag: stored.etag };
}
