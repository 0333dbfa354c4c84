import type { KinesisStreamRecord } from 'aws-lambda';
import type { AggregatorDependencies } from '../../../functions/adapters/aggregator/dependencies.js';
import type { StreamBacklog } from '../../../functions/adapters/aggregator/stream-backlog.js';
import type { RecordPosition } from '../../../functions/adapters/kinesis/decode.js';
import { MemoryDeadLetterSink } from '../../../functions/adapters/sinks/dead-letter-sink.js';
import { MemoryRecordSink } from '../../../functions/adapters/sinks/record-sink.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { envelopeRecord } from '../../fixtures/kinesis-events.js';
import { type Click, clicksPipeline } from '../../fixtures/test-pipeline.js';

/**
 * The records a test has put in its (imaginary) stream, by shard: the backlog the idle flush sees
 * is those after the checkpoint. Empty unless a test writes to it, so a flush finds no backlog.
 */
export class MemoryStreamBacklog implements StreamBacklog {
  private readonly records: { shard: string; sequence: bigint; arrivalMs: number }[] = [];
  readonly checks: string[] = [];

  constructor(private readonly maxRecordAgeMs = 24 * 3600_000) {}

  /** Records the stream now holds (as the producer wrote them), whether delivered or not. */
  written(records: readonly KinesisStreamRecord[], arrivalMs: number): void {
    for (const r of records) {
      const shard = r.eventID.slice(0, r.eventID.lastIndexOf(':'));
      this.records.push({ shard, sequence: BigInt(r.kinesis.sequenceNumber), arrivalMs });
    }
  }

  async hasUndelivered(shard: string, position: RecordPosition | null, now: number): Promise<boolean> {
    this.checks.push(shard);
    const after = position === null ? -1n : BigInt(position.sequenceNumber);
    return this.records.some(
      (r) => r.shard === shard && r.sequence > after && r.arrivalMs >= now - this.maxRecordAgeMs,
    );
  }
}

/** The aggregator's dependencies with in-memory stores (and the idle flush's backlog), for one test. */
export function memoryDeps(overrides: Partial<AggregatorDependencies> = {}) {
  const stateStore = new MemoryStateStore();
  const aggregates = new MemoryRecordSink();
  const late = new MemoryRecordSink();
  const deadLetters = new MemoryDeadLetterSink();
  const backlog = new MemoryStreamBacklog();
  const deps: AggregatorDependencies & { readonly backlog: StreamBacklog } = {
    backlog,
    pipeline: clicksPipeline,
    engine: clicksPipeline.createEngine(),
    stateStore,
    aggregates,
    late,
    deadLetters,
    now: () => 1_800_000_000_000,
    ...overrides,
  };
  return { deps, stateStore, aggregates, late, deadLetters, backlog };
}

/** Kinesis records for clicks, numbered from `first` (sequence numbers grow with it). */
export function clickRecords(clicks: readonly Click[], first = 1, shard?: string): KinesisStreamRecord[] {
  return clicks.map((c, i) =>
    envelopeRecord({ pipeline: clicksPipeline.name, key: c.user, ts: c.at, event: c, n: first + i, shard }),
  );
}
