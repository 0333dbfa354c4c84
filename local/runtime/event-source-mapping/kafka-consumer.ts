import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { PayloadTooLargeError } from '../lambda/errors.js';
import type { LocalFunction } from '../lambda/index.js';
import { retryUntilDone, sleepBeforeRetry } from './backoff.js';
import type { KafkaMappingConfig } from './kafka-config.js';
import { deliverKafkaBatch } from './kafka-delivery.js';
import { KafkaLane } from './kafka-lane.js';
import {
  type DiscardedKafkaBatch,
  type KafkaInvocationOutcome,
  kafkaOnFailureRecord,
} from './kafka-on-failure.js';
import {
  emptyPartitionProgress,
  type KafkaInvocationCounts,
  type KafkaPartitionProgress,
} from './kafka-progress.js';
import { type KafkaRecord, kafkaRecordOf, type MskEventSource, mskEvent } from './msk-event.js';

/** Consumer settings (not in the template: how the local poller talks to the broker). */
export interface KafkaPollingOptions {
  /** The broker's fetch wait. kafkajs' disconnect waits for the fetch in flight: keep it short. */
  readonly maxWaitTimeInMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** A poller holding this many records stops the fetching until it has delivered some. */
  readonly maxQueuedRecords: number;
  /** First retry delay of a failed batch; doubles per attempt up to `maxBackoffMs`. */
  readonly backoffBaseMs: number;
  readonly maxBackoffMs: number;
  /** Wait before connecting again after the consumer failed (broker down, topic missing). */
  readonly reconnectDelayMs: number;
}

export interface KafkaMappingConsumerDeps {
  readonly mapping: KafkaMappingConfig;
  readonly fn: LocalFunction;
  readonly kafka: Kafka;
  readonly source: MskEventSource;
  readonly polling: KafkaPollingOptions;
  /** Partitions are dealt to this many pollers (partition % pollers); undefined: one per partition. */
  readonly pollers: number | undefined;
  readonly signal: AbortSignal;
  /** Sends an invocation record to the on-failure destination; undefined when there is none. */
  readonly sendOnFailure: ((record: ReturnType<typeof kafkaOnFailureRecord>) => Promise<void>) | undefined;
  log(message: string): void;
}

const text = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * One mapping's member of its consumer group: kafkajs fetches (no auto commit), each fetched
 * batch is queued on its partition's poller lane, and a lane commits the next offset of each
 * partition of a batch only once the function processed (or the destination took) it. A consumer
 * that fails is replaced; what was queued then is read again from the committed offsets.
 */
export class KafkaMappingConsumer {
  readonly partitions = new Map<number, KafkaPartitionProgress>();
  readonly counts: KafkaInvocationCounts = { invocations: 0, failedInvocations: 0, lastError: undefined };
  private readonly lanes = new Map<number, { lane: KafkaLane; running: Promise<void> }>();
  /** Per partition, the offset after the last record queued: a refetch after a rebalance skips those. */
  private readonly nextOffset = new Map<number, bigint>();
  private consumer: Consumer | undefined;
  private failure: unknown;

  constructor(private readonly deps: KafkaMappingConsumerDeps) {}

  /** An unexpected error that stopped a lane, if any. */
  get error(): unknown {
    return this.failure;
  }

  /** Consumes until the runner stops, then lets the batches in flight end and leaves the group. */
  async run(): Promise<void> {
    const { signal, polling, mapping } = this.deps;
    while (!signal.aborted) {
      try {
        await this.session();
      } catch (error) {
        if (signal.aborted) break;
        this.counts.lastError = text(error);
        this.deps.log(`${mapping.id}: consumer of ${mapping.topic} failed, connecting again: ${text(error)}`);
        await sleep(polling.reconnectDelayMs, undefined, { signal }).catch(() => {});
      }
    }
    // Commits need the group membership: disconnect only after the lanes are done.
    await Promise.all([...this.lanes.values()].map((l) => l.running));
    await this.consumer?.disconnect().catch(() => {});
  }

  /** One consumer's life: returns when the runner stops, throws when the consumer cannot go on. */
  private async session(): Promise<void> {
    const { kafka, mapping, polling, signal } = this.deps;
    const consumer = kafka.consumer({
      groupId: mapping.groupId,
      maxWaitTimeInMs: polling.maxWaitTimeInMs,
      sessionTimeout: polling.sessionTimeoutMs,
      heartbeatInterval: polling.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    const crashed = new Promise<never>((_, reject) => {
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) reject(e.payload.error);
      });
    });
    crashed.catch(() => {}); // a crash after the race was decided is not an unhandled rejection
    consumer.on(consumer.events.GROUP_JOIN, (e) =>
      this.assigned(e.payload.memberAssignment[mapping.topic] ?? []),
    );
    try {
      await consumer.connect();
      // Like StartingPosition, fromBeginning only applies while the group has no committed offset.
      await consumer.subscribe({
        topics: [mapping.topic],
        fromBeginning: mapping.startingPosition === 'TRIM_HORIZON',
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (p) => this.fetched(p),
      });
      await Promise.race([crashed, new Promise<void>((resolve) => onAbort(signal, resolve))]);
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw error;
    }
  }

  /** After a rebalance: forget what was queued of partitions this member lost. */
  private assigned(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const p of partitions) if (!this.partitions.has(p)) this.partitions.set(p, emptyPartitionProgress());
    for (const p of [...this.nextOffset.keys()]) if (!owned.has(p)) this.nextOffset.delete(p);
    for (const { lane } of this.lanes.values()) lane.drop((p) => owned.has(p));
  }

  private async fetched({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const { partition } = batch;
    const progress = this.progressOf(partition);
    progress.highWatermark = batch.highWatermark;
    const from = this.nextOffset.get(partition);
    const fresh = batch.messages.filter((m) => from === undefined || BigInt(m.offset) >= from);
    const last = fresh[fresh.length - 1];
    const lane = this.laneOf(partition);
    if (last) {
      lane.push(fresh.map((m) => kafkaRecordOf(batch.topic, partition, m)));
      this.nextOffset.set(partition, BigInt(last.offset) + 1n);
      progress.recordsRead += fresh.length;
      progress.lastReadOffset = last.offset;
    }
    // Moves kafkajs' fetch position only: offsets are committed by the lane, after the invocation.
    resolveOffset(batch.lastOffset());
    while (lane.queued >= this.deps.polling.maxQueuedRecords && !this.deps.signal.aborted) {
      if (!isRunning() || isStale()) return;
      await lane.notifier.wait(1_000);
      await heartbeat();
    }
  }

  private progressOf(partition: number): KafkaPartitionProgress {
    let progress = this.partitions.get(partition);
    if (!progress) {
      progress = emptyPartitionProgress();
      this.partitions.set(partition, progress);
    }
    return progress;
  }

  private laneOf(partition: number): KafkaLane {
    const key = this.deps.pollers === undefined ? partition : partition % this.deps.pollers;
    const known = this.lanes.get(key);
    if (known) return known.lane;
    const lane = new KafkaLane(this.deps.mapping, {
      signal: this.deps.signal,
      deliver: (batch) => this.deliver(batch),
      commit: (batch) => this.commit(batch),
    });
    const running = lane.run().catch((error: unknown) => {
      // Not expected (invocations and sends are retried inside): stop this lane, say why.
      this.failure ??= error;
      this.deps.log(`${this.deps.mapping.id}: poller ${key} stopped by an error: ${text(error)}`);
    });
    this.lanes.set(key, { lane, running });
    return lane;
  }

  private deliver(batch: readonly KafkaRecord[]): Promise<void> {
    const { mapping, signal } = this.deps;
    return deliverKafkaBatch(batch, mapping, {
      invoke: (records) => this.invoke(records),
      discard: (b) => this.discard(b),
      processed: (records) => {
        for (const r of records) this.progressOf(r.partition).recordsProcessed += 1;
      },
      now: () => Date.now(),
      backoff: (attempt) => this.backoff(attempt),
      stopped: () => signal.aborted,
    });
  }

  private async invoke(records: readonly KafkaRecord[]): Promise<KafkaInvocationOutcome> {
    this.counts.invocations += 1;
    let outcome: KafkaInvocationOutcome;
    try {
      const result = await this.deps.fn.invoke(mskEvent(records, this.deps.source));
      if (result.ok) return { kind: 'success' };
      const reason = `${result.error.errorType}: ${result.error.errorMessage}`;
      outcome = { kind: 'failure', reason, functionError: result.error };
    } catch (error) {
      // The invocation could not be made (runtime closing, payload too large): not a function error.
      const payloadTooLarge = error instanceof PayloadTooLargeError;
      outcome = { kind: 'not-invoked', reason: text(error), payloadTooLarge };
    }
    this.counts.failedInvocations += 1;
    const where = [...new Set(records.map((r) => `${r.topic}-${r.partition}`))].join(', ');
    this.deps.log(`${this.deps.mapping.id}: batch of ${records.length} (${where}) failed: ${outcome.reason}`);
    return outcome;
  }

  private async discard(batch: DiscardedKafkaBatch): Promise<void> {
    const { mapping, sendOnFailure, fn, source } = this.deps;
    const what = `${batch.records.length} record(s) (${batch.condition})`;
    if (!sendOnFailure) {
      this.deps.log(`${mapping.id}: discarded ${what}; no on-failure destination`);
    } else {
      const record = kafkaOnFailureRecord(batch, { ...source, functionArn: fn.spec.arn });
      // The destination must get the record before the offsets move: retry until it does.
      await retryUntilDone(
        () => sendOnFailure(record),
        (error) => this.deps.log(`${mapping.id}: on-failure destination refused ${what}: ${text(error)}`),
        (attempt) => this.backoff(attempt),
      );
    }
    for (const r of batch.records) this.progressOf(r.partition).recordsDiscarded += 1;
  }

  /** Commits the offset after the batch's last record of each of its partitions. */
  private async commit(batch: readonly KafkaRecord[]): Promise<void> {
    const next = new Map<number, bigint>();
    for (const r of batch) {
      const after = BigInt(r.offset) + 1n;
      if ((next.get(r.partition) ?? -1n) < after) next.set(r.partition, after);
    }
    const offsets = [...next].map(([partition, offset]) => ({
      topic: this.deps.mapping.topic,
      partition,
      offset: offset.toString(),
    }));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.consumer?.commitOffsets(offsets);
        break;
      } catch (error) {
        if (attempt >= 3) {
          // The records are delivered again after a restart (at least once, as on AWS).
          this.deps.log(
            `${this.deps.mapping.id}: commit of ${JSON.stringify(offsets)} failed: ${text(error)}`,
          );
          return;
        }
        await sleep(200 * attempt);
      }
    }
    for (const { partition, offset } of offsets) this.progressOf(partition).committedOffset = offset;
  }

  private backoff(attempt: number): Promise<void> {
    return sleepBeforeRetry(attempt, this.deps.polling, this.deps.signal);
  }
}

function onAbort(signal: AbortSignal, then: () => void): void {
  if (signal.aborted) then();
  else signal.addEventListener('abort', then, { once: true });
}
