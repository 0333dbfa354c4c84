import { z } from 'zod';
import type { AnyPipeline } from '../../../functions/pipelines/index.js';
import { type Comparison, compareResults } from '../../reconcile/compare-results.js';
import { computeGroundTruth, type ExpectedWindow } from '../../reconcile/ground-truth.js';
import {
  kafkaPartitionFor,
  kinesisShardFor,
  referenceInput,
  type ShardRange,
} from '../../reconcile/reference-input.js';
import { isUncheckedLate, touchesUnchecked } from '../../reconcile/sliding-reference.js';
import { type InputRecord, rejectionLines } from './input.js';

const aggregateSchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  key: z.string(),
  window_start: z.number(),
  window_end: z.number(),
  values: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
  shard: z.string(),
  emitted_at: z.number(),
});
const lateSchema = z.object({
  pipeline: z.string(),
  key: z.string(),
  ts: z.number(),
  window_start: z.number(),
  window_end: z.number(),
  stream_time: z.number(),
  shard: z.string(),
  sequence_number: z.string(),
});
export type AggregateLine = z.output<typeof aggregateSchema>;

/** Where the stream puts a key: the shard or partition the reference model places its records on. */
export interface Placement {
  readonly partitionOf: (key: string) => string;
  /** Shards or partitions of the stream or topic. */
  readonly count: number;
  readonly unit: 'shards' | 'partitions';
}

/** Kinesis: MD5 of the partition key over the stream's real hash key ranges. */
export function kinesisPlacement(shards: readonly ShardRange[]): Placement {
  return { partitionOf: (key) => kinesisShardFor(key, shards), count: shards.length, unit: 'shards' };
}

/** Kafka: the producer's default (murmur2) partitioner over the topic's partitions. */
export function kafkaPlacement(topic: string, partitions: number): Placement {
  return {
    partitionOf: (key) => kafkaPartitionFor(topic, key, partitions),
    count: partitions,
    unit: 'partitions',
  };
}

/** A warehouse window in the comparison's shape. */
export interface WarehouseWindow {
  readonly partition: string;
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly values: Readonly<Record<string, unknown>>;
}

/** The reconciliation of one run. */
export interface Reconciliation {
  readonly ok: boolean;
  readonly comparison: Comparison;
  readonly aggregateLines: number;
  /** Lines dropped because their result id was seen before (re-sent windows). */
  readonly duplicateIds: number;
  readonly windows: WarehouseWindow[];
  readonly expectedLate: number;
  /** Distinct late lines compared (those of unchecked records left out). */
  readonly late: number;
  /**
   * Sliding windows only: records later than the grace while some of their windows were open,
   * which the reference model leaves out, and the warehouse windows and late lines they may have
   * touched, left out of the comparison (local/reconcile/sliding-reference.ts).
   */
  readonly unchecked: { readonly records: number; readonly windows: number; readonly late: number };
  readonly duplicateLate: number;
  /** Input lines the pipeline refuses (dead-lettered or never produced). */
  readonly invalidInput: number;
  /** Why, one line per reason with where (see rejectionLines). */
  readonly invalidReasons: readonly string[];
  readonly problems: string[];
}

/**
 * Compares the warehouse with the reference model run over the produced input: records placed on
 * shards or partitions as the stream places their keys, in production order per partition,
 * every window closed at the end (the final flush). Aggregates are deduplicated by result `id`
 * (Firehose and a retried aggregator deliver at least once); late records by (shard, sequence, window).
 */
export function reconcile(
  pipeline: AnyPipeline,
  input: readonly InputRecord[],
  placement: Placement,
  aggregateLines: readonly unknown[],
  lateLines: readonly unknown[],
): Reconciliation {
  const problems: string[] = [];
  const { records, rejected } = referenceInput(pipeline, input, placement.partitionOf);
  // The engine does not reopen a session it closed (functions/core), hence `forget`.
  const truth = computeGroundTruth(
    records,
    { window: pipeline.window, aggregations: pipeline.config.aggregations },
    { flush: true, closedSessions: 'forget' },
  );
  /** The values of each id's first copy, as JSON: a repeat must carry the same ones. */
  const seen = new Map<string, string>();
  const windows: WarehouseWindow[] = [];
  let duplicateIds = 0;
  for (const [i, line] of aggregateLines.entries()) {
    const parsed = aggregateSchema.safeParse(line);
    if (!parsed.success) {
      problems.push(`aggregate line ${i}: not an aggregate record (${z.prettifyError(parsed.error)})`);
      continue;
    }
    const a = parsed.data;
    if (a.pipeline !== pipeline.name) continue;
    const values = JSON.stringify(a.values);
    const first = seen.get(a.id);
    if (first !== undefined) {
      duplicateIds += 1;
      // A retry re-sends the same result; different values under one id mean two histories of the
      // shard's state were both sent, and one row per id would keep whichever came first.
      if (first !== values)
        problems.push(`result ${a.id} (key ${a.key}): sent with ${first} and with ${values}`);
      continue;
    }
    seen.set(a.id, values);
    windows.push({
      partition: a.shard,
      key: a.key,
      windowStart: a.window_start,
      windowEnd: a.window_end,
      values: a.values,
    });
  }
  const lateSeen = new Set<string>();
  const uncheckedLate = new Set<string>();
  let duplicateLate = 0;
  for (const line of lateLines) {
    const parsed = lateSchema.safeParse(line);
    if (!parsed.success || parsed.data.pipeline !== pipeline.name) continue;
    const id = `${parsed.data.shard}|${parsed.data.sequence_number}|${parsed.data.window_start}`;
    if (lateSeen.has(id)) duplicateLate += 1;
    else lateSeen.add(id);
    const { shard: partition, key, ts, stream_time: streamTime } = parsed.data;
    if (isUncheckedLate(truth.unchecked, { partition, key, ts, streamTime })) uncheckedLate.add(id);
  }
  // Sliding windows: the windows and late lines of records the model leaves out are not compared.
  const comparable = (w: WarehouseWindow | ExpectedWindow) => !touchesUnchecked(truth.unchecked, w);
  const checkedWindows = windows.filter(comparable);
  const comparison = compareResults(truth.results.filter(comparable), checkedWindows, {
    matchPartition: true,
  });
  const lateCount = lateSeen.size - uncheckedLate.size;
  if (lateCount !== truth.late.length) {
    problems.push(`late records: expected ${truth.late.length}, found ${lateCount} in late/`);
  }
  return {
    ok: comparison.ok && problems.length === 0,
    comparison,
    aggregateLines: aggregateLines.length,
    duplicateIds,
    windows,
    expectedLate: truth.late.length,
    late: lateCount,
    unchecked: {
      records: truth.unchecked.length,
      windows: windows.length - checkedWindows.length,
      late: uncheckedLate.size,
    },
    duplicateLate,
    invalidInput: rejected.length,
    invalidReasons: rejectionLines(
      rejected,
      input,
      input.some((r) => r.line !== undefined),
    ),
    problems,
  };
}
