import type { WindowEngine } from '../../core/engine/window-engine.js';
import type { DecodeOptions } from '../kinesis/decode.js';
import type { ShardLineage } from '../kinesis/shard-lineage.js';
import type { AnyPipeline } from '../pipeline-event.js';
import type { DeadLetterSink } from '../sinks/dead-letter-sink.js';
import type { RecordSink } from '../sinks/record-sink.js';
import type { Checkpoint } from '../state/checkpoint.js';
import type { StateStore } from '../state/state-store.js';

/**
 * The last checkpoint each shard wrote from this container, by shard: the next batch asks the
 * store only whether it changed (If-None-Match) instead of downloading and decoding it again.
 */
export type CheckpointCache = Map<string, { readonly etag: string; readonly checkpoint: Checkpoint }>;

/** The logging calls the adapters make (Powertools' Logger has them). */
export interface LoggerLike {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: LoggerLike = { info() {}, warn() {}, error() {} };

/** Everything the aggregator flow talks to, injected so Lambda, the local runtime and tests share it. */
export interface AggregatorDependencies {
  readonly pipeline: AnyPipeline;
  /** Built once per container: `pipeline.createEngine()`. */
  readonly engine: WindowEngine;
  readonly stateStore: StateStore;
  /** The aggregates delivery stream. */
  readonly aggregates: RecordSink;
  /** The late-records delivery stream. */
  readonly late: RecordSink;
  readonly deadLetters: DeadLetterSink;
  /** @default silentLogger */
  readonly logger?: LoggerLike;
  /** Wall clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  readonly decode?: DecodeOptions;
  /** Per-container cache of checkpoints written. @default none (every batch reads the store) */
  readonly checkpointCache?: CheckpointCache;
  /**
   * The idle flush's timeout, when a flush runs beside the aggregator: a batch for a shard the
   * flush may take before the batch is written claims the checkpoint first.
   * @default none (no flush: nothing to claim against)
   */
  readonly idleTimeoutMs?: number;
  /**
   * The stream's shard lineage: a shard's first batch takes its keys' state from its parent shards
   * (shard-handover.ts). @default none (a new shard starts empty, and a reshard splits open windows)
   */
  readonly lineage?: ShardLineage;
}

/** Counters of one invocation, published as metrics by the handler. */
export interface AggregatorStats {
  recordsIn: number;
  skipped: number;
  invalidRecords: number;
  lateRecords: number;
  windowsClosed: number;
  /** Size of the last checkpoint written (bytes). */
  stateBytes: number;
  /** Wall clock minus stream time after the batch; undefined before any record. */
  streamTimeLagMs: number | undefined;
}

export function emptyStats(): AggregatorStats {
  return {
    recordsIn: 0,
    skipped: 0,
    invalidRecords: 0,
    lateRecords: 0,
    windowsClosed: 0,
    stateBytes: 0,
    streamTimeLagMs: undefined,
  };
}
