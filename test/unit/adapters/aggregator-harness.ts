import type { KinesisStreamRecord } from 'aws-lambda';
import type { AggregatorDependencies } from '../../../functions/adapters/aggregator/dependencies.js';
import { MemoryDeadLetterSink } from '../../../functions/adapters/sinks/dead-letter-sink.js';
import { MemoryRecordSink } from '../../../functions/adapters/sinks/record-sink.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { envelopeRecord } from '../../fixtures/kinesis-events.js';
import { type Click, clicksPipeline } from '../../fixtures/test-pipeline.js';

/** The aggregator's dependencies with in-memory stores, for one test. */
export function memoryDeps(overrides: Partial<AggregatorDependencies> = {}) {
  const stateStore = new MemoryStateStore();
  const aggregates = new MemoryRecordSink();
  const late = new MemoryRecordSink();
  const deadLetters = new MemoryDeadLetterSink();
  const deps: AggregatorDependencies = {
    pipeline: clicksPipeline,
    engine: clicksPipeline.createEngine(),
    stateStore,
    aggregates,
    late,
    deadLetters,
    now: () => 1_800_000_000_000,
    ...overrides,
  };
  return { deps, stateStore, aggregates, late, deadLetters };
}

/** Kinesis records for clicks, numbered from `first` (sequence numbers grow with it). */
export function clickRecords(clicks: readonly Click[], first = 1, shard?: string): KinesisStreamRecord[] {
  return clicks.map((c, i) =>
    envelopeRecord({ pipeline: clicksPipeline.name, key: c.user, ts: c.at, event: c, n: first + i, shard }),
  );
}
