import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { recordAppliedRanges } from '../../../functions/adapters/aggregator/applied-ranges.js';
import { silentLogger } from '../../../functions/adapters/aggregator/dependencies.js';
import { ConfigurationError } from '../../../functions/adapters/errors.js';
import { toStreamRecord } from '../../../functions/adapters/kafka/msk-event.js';
import type { PartitionRange } from '../../../functions/adapters/kafka/partition-range.js';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { KafkaRedriveSource } from '../../../functions/adapters/redrive/kafka-redrive-source.js';
import { readDiscardedBatch } from '../../../functions/adapters/redrive/on-failure-record.js';
import {
  type RedriveDependencies,
  redriveDeadLetters,
} from '../../../functions/adapters/redrive/redrive-dead-letters.js';
import { mergedRanges, readCheckpoint } from '../../../functions/adapters/state/checkpoint.js';
import type { StateStore } from '../../../functions/adapters/state/state-store.js';
import { kafkaOnFailureRecord } from '../../../local/runtime/event-source-mapping/kafka-on-failure.js';
import {
  type KafkaRecord as LocalKafkaRecord,
  mskEventRecord,
} from '../../../local/runtime/event-source-mapping/msk-event.js';
import { type Click, click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { memoryDeps } from './aggregator-harness.js';
import { clockPassingOnRead, memoryQueue } from './redrive-harness.js';

// The redrive's Kinesis side is tested in redrive-dead-letters.test.ts; here, what Kafka changes:
// Lambda's record names offsets per partition, and the records are read back by offset.

const TOPIC = 'tributary-dev-test-clicks';
const CLUSTER_ARN = 'arn:aws:kafka:us-east-1:000000000000:cluster/tributary-dev/6a1c-s1';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:aggregator';
const S = 1000;

/** A click as the Kafka broker holds it at `offset` of `partition`. */
function clickAt(partition: number, offset: number, c: Click): LocalKafkaRecord {
  return {
    topic: TOPIC,
    partition,
    offset: String(offset),
    timestamp: c.at + 500,
    key: Buffer.from(c.user),
    value: Buffer.from(encodeEnvelope({ pipeline: clicksPipeline.name, key: c.user, ts: c.at, event: c })),
    headers: [],
  };
}

/** The record as the aggregator sees it (msk-event.ts): shard `<topic>-<partition>`, offset as sequence number. */
function asStreamRecord(r: LocalKafkaRecord): KinesisStreamRecord {
  return toStreamRecord(mskEventRecord(r), CLUSTER_ARN);
}

/** What Lambda sends the on-failure queue for Kafka records the mapping gave up on. */
function discarded(records: readonly LocalKafkaRecord[]): string {
  return JSON.stringify(
    kafkaOnFailureRecord(
      { records, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3, lastOutcome: undefined },
      { eventSourceArn: CLUSTER_ARN, bootstrapServers: 'b-1:9098', functionArn: FUNCTION_ARN },
    ),
  );
}

/**
 * A topic as the range reader reads it: its records by partition, those of partition 0 below
 * `logStart` deleted by retention; with `cutAfter`, a read gives up after that many records. Counts readers opened
 * and closed, and the ranges read with their timeouts.
 */
function memoryTopic(
  records: readonly LocalKafkaRecord[],
  options: { logStart?: number; cutAfter?: number } = {},
) {
  const topic = {
    opened: 0,
    closed: 0,
    reads: [] as PartitionRange[],
    timeouts: [] as (number | undefined)[],
  };
  const reader = {
    async read(range: PartitionRange, read: { timeoutMs?: number } = {}) {
      topic.reads.push(range);
      topic.timeouts.push(read.timeoutMs);
      const from = Number(range.from);
      const to = Number(range.to);
      const logStart = range.partition === 0 ? (options.logStart ?? 0) : 0;
      const partition = records.filter((r) => r.partition === range.partition);
      const end = Math.max(0, ...partition.map((r) => Number(r.offset) + 1));
      let held = partition.filter(
        (r) => Number(r.offset) >= Math.max(from, logStart) && Number(r.offset) <= to,
      );
      const complete = options.cutAfter === undefined || held.length <= options.cutAfter;
      if (!complete) held = held.slice(0, options.cutAfter);
      return {
        records: held.map(asStreamRecord),
        complete,
        expired: Math.max(0, Math.min(to + 1, logStart) - from),
        pastEnd: to >= end ? to - Math.max(from, end) + 1 : 0,
      };
    },
    async close() {
      topic.closed++;
    },
  };
  const source = new KafkaRedriveSource({
    topic: TOPIC,
    openReader: () => {
      topic.opened++;
      return reader;
    },
  });
  return { topic, source, options };
}

/**
 * Partition 0: offsets 0-1 and 4-5 applied, 2-3 given up on (bob's click late by now, ann's on
 * time). Partition 1: offset 0 applied, 1 given up on (carl's, on time), unless `partition1` is false
 * (no checkpoint there yet).
 */
async function kafkaPipelineWithAFailedBatch(
  options: { logStart?: number; cutAfter?: number; partition1?: boolean } = {},
) {
  const harness = memoryDeps();
  const p0 = [
    clickAt(0, 0, click('ann', T0 + 1 * S)),
    clickAt(0, 1, click('ann', T0 + 20 * S)),
    clickAt(0, 2, click('bob', T0 + 30 * S)),
    clickAt(0, 3, click('ann', T0 + 65 * S)),
    clickAt(0, 4, click('ann', T0 + 75 * S)),
    clickAt(0, 5, click('carl', T0 + 80 * S)),
  ];
  const p1 = [clickAt(1, 0, click('dora', T0 + 10 * S)), clickAt(1, 1, click('dora', T0 + 12 * S))];
  // Batches are contiguous in their partition: 0-1, then (the mapping gave 2-3 up) 4-5.
  await aggregateBatch(p0.slice(0, 2).map(asStreamRecord), harness.deps);
  await aggregateBatch(p0.slice(4).map(asStreamRecord), harness.deps);
  if (options.partition1 !== false) await aggregateBatch(p1.slice(0, 1).map(asStreamRecord), harness.deps);
  const { topic, source, options: reads } = memoryTopic([...p0, ...p1], options);
  const deps = (queue: ReturnType<typeof memoryQueue>): RedriveDependencies => ({
    pipeline: harness.deps.pipeline,
    engine: harness.deps.engine,
    stateStore: harness.deps.stateStore,
    late: harness.deps.late,
    deadLetters: harness.deps.deadLetters,
    sqs: queue as unknown as RedriveDependencies['sqs'],
    queueUrl: 'http://localhost/000000000000/dead-letters',
    source,
  });
  const checkpoint = async (partition: number) =>
    (await readCheckpoint(harness.stateStore, clicksPipeline.name, `${TOPIC}-${partition}`))?.checkpoint;
  return { ...harness, aggregator: harness.deps, p0, p1, topic, reads, deps, checkpoint };
}

describe('readDiscardedBatch on a Kafka on-failure record', () => {
  it('reads a range per partition: its first and last offset and their timestamps, the partition as the shard', () => {
    // Prepare: stamped at T0 + 0.5 s, 1.5 s and 2.5 s (clickAt)
    const body = discarded([
      clickAt(0, 2, click('bob', T0)),
      clickAt(0, 3, click('ann', T0 + S)),
      clickAt(11, 7, click('carl', T0 + 2 * S)),
    ]);

    // Act
    const batches = readDiscardedBatch(body);

    // Assess
    const common = {
      kind: 'kafka',
      clusterArn: CLUSTER_ARN,
      topic: TOPIC,
      condition: 'RetryAttemptsExhausted',
    };
    expect(batches).toEqual([
      {
        ...common,
        partition: 0,
        shardId: `${TOPIC}-0`,
        from: '2',
        to: '3',
        size: 2,
        firstTimestampMs: T0 + 500,
        lastTimestampMs: T0 + S + 500,
      },
      {
        ...common,
        partition: 11,
        shardId: `${TOPIC}-11`,
        from: '7',
        to: '7',
        size: 1,
        firstTimestampMs: T0 + 2 * S + 500,
        lastTimestampMs: T0 + 2 * S + 500,
      },
    ]);
  });

  it('reads a record without timestamps (an older one, another producer): nothing to check them by', () => {
    // Prepare
    const body = JSON.stringify({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KafkaBatchInfo: {
        eventSourceArn: CLUSTER_ARN,
        recordsInfo: { [`${TOPIC}-0`]: { firstRecordOffset: '2', lastRecordOffset: '3' } },
      },
    });

    // Act
    const batches = readDiscardedBatch(body);

    // Assess
    expect(batches).toEqual([expect.objectContaining({ from: '2', to: '3' })]);
    const [batch] = batches as [object];
    expect(batch).not.toHaveProperty('firstTimestampMs');
    expect(batch).not.toHaveProperty('lastTimestampMs');
  });

  it.each([['yesterday'], ['1'], ['2019-11-14'], ['2019-13-45T99:00:00.000Z'], [1573691884835], [null]])(
    'reads a record whose timestamp is %j as one without it',
    (bad) => {
      // Prepare: the last record's timestamp is a good one
      const body = JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        KafkaBatchInfo: {
          eventSourceArn: CLUSTER_ARN,
          recordsInfo: {
            [`${TOPIC}-0`]: {
              firstRecordOffset: '2',
              lastRecordOffset: '3',
              firstRecordTimestamp: bad,
              lastRecordTimestamp: '2019-11-14T00:38:05.580Z',
            },
          },
        },
      });

      // Act
      const batches = readDiscardedBatch(body);

      // Assess
      expect(batches).toEqual([
        expect.objectContaining({
          from: '2',
          to: '3',
          lastTimestampMs: Date.UTC(2019, 10, 14, 0, 38, 5, 580),
        }),
      ]);
      expect((batches as [object])[0]).not.toHaveProperty('firstTimestampMs');
    },
  );

  it('takes offsets given as numbers too', () => {
    // Prepare
    const body = JSON.stringify({
      requestContext: { condition: 'RecordAgeExceeded' },
      KafkaBatchInfo: {
        eventSourceArn: CLUSTER_ARN,
        recordsInfo: { [`${TOPIC}-3`]: { firstRecordOffset: 40, lastRecordOffset: 49 } },
      },
    });

    // Act
    const batches = readDiscardedBatch(body);

    // Assess
    expect(batches).toEqual([
      expect.objectContaining({ shardId: `${TOPIC}-3`, from: '40', to: '49', size: 10 }),
    ]);
  });

  it.each([
    [{}, 'naming no partition'],
    [{ [TOPIC]: { firstRecordOffset: '1', lastRecordOffset: '2' } }, 'not <topic>-<partition>'],
    [{ [`${TOPIC}-0`]: { firstRecordOffset: '5', lastRecordOffset: '4' } }, 'first offset in'],
    [{ [`${TOPIC}-0`]: { firstRecordOffset: '-1', lastRecordOffset: '4' } }, 'not a Kafka on-failure record'],
  ])('says why records info %j is not a batch to redrive', (recordsInfo, reason) => {
    // Prepare
    const body = JSON.stringify({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KafkaBatchInfo: { eventSourceArn: CLUSTER_ARN, recordsInfo },
    });

    // Act
    const batch = readDiscardedBatch(body);

    // Assess
    expect(batch).toEqual({ notABatch: expect.stringContaining(reason) });
  });
});

describe('redriveDeadLetters on a Kafka topic', () => {
  it('reads the offsets back and queues them in their partition, then deletes the message', async () => {
    // Prepare
    const { p0, deps, checkpoint, late, topic } = await kafkaPipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report).toEqual({
      received: 1,
      redriven: { batches: 1, records: 2, waiting: 1, skipped: 0 },
      wouldRedrive: 0,
      left: [],
      dropped: [],
    });
    expect(queue.messages).toEqual([]);
    expect(topic.reads).toEqual([
      { topic: TOPIC, partition: 0, from: '2', to: '3', eventSourceArn: CLUSTER_ARN },
    ]);
    // bob's click went to late/ at its partition and offset, ann's waits for its window
    expect(late.records).toEqual([
      expect.objectContaining({ key: 'bob', shard: `${TOPIC}-0`, sequence_number: '2' }),
    ]);
    expect((await checkpoint(0))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual(['3']);
    expect((await checkpoint(0))?.redriven).toEqual([expect.objectContaining({ from: '2', to: '3' })]);
    // one reader for the run, closed at its end
    expect(topic).toMatchObject({ opened: 1, closed: 1 });
  });

  it('keeps a message until every partition it names is queued, and queues none twice', async () => {
    // Prepare: partition 1 has no checkpoint yet
    const { p0, p1, deps, checkpoint, aggregator } = await kafkaPipelineWithAFailedBatch({
      partition1: false,
    });
    const queue = memoryQueue([discarded([...p0.slice(2, 4), p1[1] as LocalKafkaRecord])]);

    // Act
    const first = await redriveDeadLetters(deps(queue));
    await aggregateBatch(p1.slice(0, 1).map(asStreamRecord), aggregator);
    queue.nextRun();
    const second = await redriveDeadLetters(deps(queue));

    // Assess
    expect(first.left).toEqual([
      expect.objectContaining({ kind: 'waiting', reason: expect.stringContaining(`${TOPIC}-1 1-1`) }),
    ]);
    expect(first.redriven).toEqual({ batches: 0, records: 2, waiting: 1, skipped: 0 });
    expect(queue.released).toEqual(['r0']);
    expect(second.left).toEqual([]);
    expect(second.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 2 });
    expect(queue.messages).toEqual([]);
    expect((await checkpoint(1))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual(['1']);
  });

  it('leaves a batch of another topic, or a Kinesis batch, in the queue and opens no reader', async () => {
    // Prepare
    const { p0, deps, topic, stateStore } = await kafkaPipelineWithAFailedBatch();
    const other = discarded(p0.slice(2, 4)).replaceAll(`${TOPIC}-0`, 'someone-else-0');
    const kinesis = JSON.stringify({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: '1',
        endSequenceNumber: '2',
        batchSize: 2,
        streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${TOPIC}`,
      },
    });
    const queue = memoryQueue([other, kinesis]);
    const writes = stateStore.writes;

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'not-a-batch',
        reason: expect.stringContaining('another topic (someone-else)'),
      }),
      expect.objectContaining({
        kind: 'not-a-batch',
        reason: expect.stringContaining('not of a Kafka topic'),
      }),
    ]);
    expect(topic.reads).toEqual([]);
    expect(topic.opened).toBe(0);
    expect(stateStore.writes).toBe(writes);
  });

  it('queues what the topic still holds, keeping the message until asked to drop the deleted offsets', async () => {
    // Prepare: retention deleted offsets below 3 (bob's click)
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch({ logStart: 3 });
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);

    // Act
    const kept = await redriveDeadLetters(deps(queue));
    queue.nextRun();
    const dropped = await redriveDeadLetters(deps(queue), { dropExpired: true });

    // Assess
    expect(kept.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining('1 of 2 records are no longer'),
      }),
    ]);
    expect(kept.redriven.records).toBe(1);
    expect(dropped.dropped).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('past its retention') }),
    ]);
    expect(dropped.redriven).toEqual({ batches: 0, records: 0, waiting: 0, skipped: 1 });
    expect(queue.messages).toEqual([]);
    expect((await checkpoint(0))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual(['3']);
  });
});

describe('redriveDeadLetters on a Kafka topic, when not all is there', () => {
  it('records only what it read of a range cut short, and takes the rest on a later run', async () => {
    // Prepare: the first read gives up after one record (a slow broker)
    const { p0, deps, checkpoint, reads } = await kafkaPipelineWithAFailedBatch({ cutAfter: 1 });
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);

    // Act
    const first = await redriveDeadLetters(deps(queue));
    reads.cutAfter = undefined;
    queue.nextRun();
    const second = await redriveDeadLetters(deps(queue));

    // Assess
    expect(first.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining('the read stopped before the end'),
      }),
    ]);
    expect(first.redriven.records).toBe(1);
    expect(second.left).toEqual([]);
    expect(second.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 1 });
    expect((await checkpoint(0))?.redriven).toEqual([
      expect.objectContaining({ from: '2', to: '2' }),
      expect.objectContaining({ from: '2', to: '3' }),
    ]);
  });

  it('keeps a message naming offsets past the partition end, saying the topic was recreated or truncated', async () => {
    // Prepare: offsets 5-7 of partition 0, whose log ends at 6
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch();
    const beyond = [
      ...p0.slice(5),
      { ...(p0[5] as LocalKafkaRecord), offset: '6' },
      { ...(p0[5] as LocalKafkaRecord), offset: '7' },
    ];
    const queue = memoryQueue([discarded(beyond)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: the record at 5 is not queued again (the partition's last write applied it), and
    // the message stays, naming why
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining(
          "2 at or past the partition's end: the topic was recreated or its log truncated",
        ),
      }),
    ]);
    expect(report.redriven.batches).toBe(0);
    expect(queue.messages).toHaveLength(1);
    expect(report.redriven.skipped).toBe(1);
    expect((await checkpoint(0))?.redriveInbox).toEqual([]);
  });

  it('deletes a message whose every range was taken before, whatever retention took since', async () => {
    // Prepare: partition 0 queued by the first run, partition 1 not ready; then retention takes
    // partition 0's offsets below 3
    const { p0, p1, deps, aggregator, topic, reads } = await kafkaPipelineWithAFailedBatch({
      partition1: false,
    });
    const queue = memoryQueue([discarded([...p0.slice(2, 4), p1[1] as LocalKafkaRecord])]);
    await redriveDeadLetters(deps(queue));
    await aggregateBatch(p1.slice(0, 1).map(asStreamRecord), aggregator);
    reads.logStart = 3;
    topic.reads.length = 0;

    // Act
    queue.nextRun();
    const second = await redriveDeadLetters(deps(queue));

    // Assess: partition 0 not read again, the message gone
    expect(second.left).toEqual([]);
    expect(second.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 2 });
    expect(topic.reads.map((r) => r.partition)).toEqual([1]);
    expect(queue.messages).toEqual([]);
  });

  it('skips the partitions a failed batch applied, which the aggregator marked before failing', async () => {
    // Prepare: a new batch over both partitions; partition 1's write fails for good, partition 0's
    // records (offsets 6-7) apply
    const { p1, deps, aggregator, stateStore } = await kafkaPipelineWithAFailedBatch();
    const fresh = [clickAt(0, 6, click('ann', T0 + 90 * S)), clickAt(0, 7, click('eve', T0 + 91 * S))];
    const batch = [...fresh, p1[1] as LocalKafkaRecord];
    const outcome = await withBrokenPartition1(stateStore, () =>
      aggregateBatch(batch.map(asStreamRecord), aggregator, { isolateShards: true, denseOffsets: true }),
    );
    const marked = await recordAppliedRanges(outcome.applied, aggregator);
    const again = await recordAppliedRanges(outcome.applied, aggregator);
    const queue = memoryQueue([discarded(batch)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: only dora's click of partition 1 is redriven; partition 0's two count as taken
    expect(outcome.fatal.map((f) => f.shard)).toEqual([`${TOPIC}-1`]);
    expect(marked).toEqual([`${TOPIC}-0`]);
    expect(again).toEqual([]);
    expect(report.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 2 });
  });

  it('marks a partition an earlier attempt applied and ended before marking, when a retry finds it applied', async () => {
    // Prepare: the first attempt applies partition 0 (offsets 6-7) and ends there (a timeout: no
    // mark); the retry finds partition 0 applied, partition 1 still failing, and marks; then
    // partition 0 goes on with 8, so its last write no longer covers 6-7
    const { p1, deps, aggregator, stateStore, checkpoint } = await kafkaPipelineWithAFailedBatch();
    const fresh = [clickAt(0, 6, click('ann', T0 + 90 * S)), clickAt(0, 7, click('eve', T0 + 91 * S))];
    const batch = [...fresh, p1[1] as LocalKafkaRecord];
    await withBrokenPartition1(stateStore, () =>
      aggregateBatch(batch.map(asStreamRecord), aggregator, { isolateShards: true, denseOffsets: true }),
    );
    const retry = await withBrokenPartition1(stateStore, () =>
      aggregateBatch(batch.map(asStreamRecord), aggregator, { isolateShards: true, denseOffsets: true }),
    );
    const marked = await recordAppliedRanges(retry.applied, aggregator);
    await aggregateBatch([asStreamRecord(clickAt(0, 8, click('ann', T0 + 95 * S)))], aggregator);
    const queue = memoryQueue([discarded(batch)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: only dora's click of partition 1 is redriven
    expect([...retry.applied]).toEqual([[`${TOPIC}-0`, [{ from: '6', to: '7' }]]]);
    expect(marked).toEqual([`${TOPIC}-0`]);
    expect((await checkpoint(0))?.lastApplied).toEqual([{ from: '8', to: '8' }]);
    expect(report.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 2 });
  });

  it("skips what the partition's last write applied, with no mark at all", async () => {
    // Prepare: the only attempt applies partition 0 (offsets 6-7) and ends before marking; Lambda
    // gives the batch up, and partition 0 has had no batch since
    const { p1, deps, aggregator, stateStore } = await kafkaPipelineWithAFailedBatch();
    const fresh = [clickAt(0, 6, click('ann', T0 + 90 * S)), clickAt(0, 7, click('eve', T0 + 91 * S))];
    const batch = [...fresh, p1[1] as LocalKafkaRecord];
    await withBrokenPartition1(stateStore, () =>
      aggregateBatch(batch.map(asStreamRecord), aggregator, { isolateShards: true, denseOffsets: true }),
    );
    const queue = memoryQueue([discarded(batch)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 2 });
  });

  it('does not mark what a partition skipped as at or below its checkpoint: given up before, never applied', async () => {
    // Prepare: Lambda delivers partition 0's offsets 2-3 again (given up before; its checkpoint is
    // past them) in a batch that fails in partition 1
    const { p0, p1, deps, aggregator, stateStore, checkpoint } = await kafkaPipelineWithAFailedBatch();
    const outcome = await withBrokenPartition1(stateStore, () =>
      aggregateBatch([...p0.slice(2, 4), p1[1] as LocalKafkaRecord].map(asStreamRecord), aggregator, {
        isolateShards: true,
        denseOffsets: true,
      }),
    );
    const marked = await recordAppliedRanges(outcome.applied, aggregator);
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);

    // Act: the redrive of the first give-up
    const report = await redriveDeadLetters(deps(queue));

    // Assess: nothing marked; both records redriven
    expect(marked).toEqual([]);
    expect(report.redriven.records).toBe(2);
    expect((await checkpoint(0))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual(['3']);
  });

  it('keeps one range for a partition marked batch after batch, and marks the others when one mark fails', async () => {
    // Prepare
    const { aggregator, stateStore, checkpoint } = await kafkaPipelineWithAFailedBatch();
    const logged: string[] = [];
    const deps = {
      ...aggregator,
      logger: { ...silentLogger, warn: (message: string) => void logged.push(message) },
    };

    // Act: 20 batches of partition 0 in a row; then one failing mark of partition 1 before partition 0's
    for (let o = 10; o < 30; o++)
      await recordAppliedRanges(new Map([[`${TOPIC}-0`, [{ from: String(o), to: String(o) }]]]), deps);
    const marked = await withBrokenPartition1(stateStore, () =>
      recordAppliedRanges(
        new Map([
          [`${TOPIC}-1`, [{ from: '5', to: '6' }]],
          [`${TOPIC}-0`, [{ from: '30', to: '31' }]],
        ]),
        deps,
      ),
    );

    // Assess
    expect((await checkpoint(0))?.redriven).toEqual([{ from: '10', to: '31', at: expect.any(Number) }]);
    expect(marked).toEqual([`${TOPIC}-0`]);
    expect(logged).toEqual(['applied partition not marked: a redrive of this batch would take it again']);
  });

  it('does not trust a complete read that misses the first or last offset Lambda named', async () => {
    // Prepare: the reader answers complete, without the records (a client fault)
    const { p0, deps } = await kafkaPipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);
    const redrive = deps(queue);
    const faulty = new KafkaRedriveSource({
      topic: TOPIC,
      openReader: () => ({
        read: async () => ({ records: [], complete: true, expired: 0, pastEnd: 0 }),
        close: async () => {},
      }),
    });

    // Act
    const report = await redriveDeadLetters({ ...redrive, source: faulty });

    // Assess: the message stays, nothing recorded as taken
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining('the read did not find them'),
      }),
    ]);
    expect(queue.messages).toHaveLength(1);
  });

  it('leaves the partitions of a message it has no time left for', async () => {
    // Prepare: the clock passes the deadline while partition 0 is read
    const { p0, p1, deps, topic } = await kafkaPipelineWithAFailedBatch();
    const queue = memoryQueue([discarded([...p0.slice(2, 4), p1[1] as LocalKafkaRecord])]);
    const redrive = clockPassingOnRead(deps(queue), 100_000);

    // Act
    const report = await redriveDeadLetters(redrive, { deadlineMs: 60_000 });

    // Assess
    expect(topic.reads.map((r) => r.partition)).toEqual([0]);
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'waiting',
        reason: expect.stringContaining(`${TOPIC}-1 1-1: the run's time ran out`),
      }),
    ]);
  });

  it('drops a range retention took whole when asked to, and names a range wholly past the end', async () => {
    // Prepare: partition 0's log starts at 4 (2-3 deleted); offsets 6-7 lie past its end (6)
    const { p0, deps } = await kafkaPipelineWithAFailedBatch({ logStart: 4 });
    const beyond = [6, 7].map((o) => ({ ...(p0[5] as LocalKafkaRecord), offset: String(o) }));
    const queue = memoryQueue([discarded(p0.slice(2, 4)), discarded(beyond)]);

    // Act
    const report = await redriveDeadLetters(deps(queue), { dropExpired: true });

    // Assess
    expect(report.dropped).toEqual([
      expect.objectContaining({
        messageId: 'm0',
        reason: expect.stringContaining('2 of 2 records are no longer in the topic (past its retention)'),
      }),
      expect.objectContaining({
        messageId: 'm1',
        reason: expect.stringContaining("at or past the partition's end"),
      }),
    ]);
    expect(queue.messages).toEqual([]);
  });

  it('does not trust a complete read missing only the last offset Lambda named', async () => {
    // Prepare
    const { p0, deps } = await kafkaPipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);
    const faulty = new KafkaRedriveSource({
      topic: TOPIC,
      openReader: () => ({
        read: async () => ({
          records: [asStreamRecord(p0[2] as LocalKafkaRecord)],
          complete: true,
          expired: 0,
          pastEnd: 0,
        }),
        close: async () => {},
      }),
    });

    // Act
    const report = await redriveDeadLetters({ ...deps(queue), source: faulty }, { dropExpired: true });

    // Assess
    expect(report.left).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('the read did not find them') }),
    ]);
    expect(queue.messages).toHaveLength(1);
  });

  it('marks the offsets past the checkpoint of a batch mixing both, and those the last write applied', async () => {
    // Prepare: partition 0's checkpoint is at 5, its last write applied 4-5 (2-3 were given up
    // on); the batch holds 2-7
    const { p0, p1, aggregator, stateStore } = await kafkaPipelineWithAFailedBatch();
    const fresh = [clickAt(0, 6, click('ann', T0 + 90 * S)), clickAt(0, 7, click('eve', T0 + 91 * S))];

    // Act
    const outcome = await withBrokenPartition1(stateStore, () =>
      aggregateBatch([...p0.slice(2), ...fresh, p1[1] as LocalKafkaRecord].map(asStreamRecord), aggregator, {
        isolateShards: true,
        denseOffsets: true,
      }),
    );

    // Assess: 2-3 stay unmarked, for a redrive to take
    expect([...outcome.applied]).toEqual([
      [
        `${TOPIC}-0`,
        [
          { from: '4', to: '5' },
          { from: '6', to: '7' },
        ],
      ],
    ]);
  });

  it('merges a recorded range that the grown mark comes to touch, whatever the order', () => {
    // Act
    const merged = mergedRanges([
      { from: '0', to: '9', at: 1 },
      { from: '40', to: '50', at: 1 },
      { from: '10', to: '20', at: 3 },
      { from: '21', to: '30', at: 2 },
    ]);

    // Assess
    expect(merged).toEqual([
      { from: '0', to: '30', at: 3 },
      { from: '40', to: '50', at: 1 },
    ]);
  });

  it('gives a Kafka read no longer than the run has left', async () => {
    // Prepare
    const { p0, deps, topic } = await kafkaPipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(p0.slice(2, 4))]);

    // Act
    await redriveDeadLetters(deps(queue), { deadlineMs: Date.now() + 60_000 });

    // Assess: 60 s less the 30 s kept back for the run's end
    expect(topic.timeouts).toHaveLength(1);
    expect(topic.timeouts[0]).toBeGreaterThan(25_000);
    expect(topic.timeouts[0]).toBeLessThanOrEqual(30_000);
  });
});

describe('redriveDeadLetters on a Kafka topic recreated since', () => {
  /** `records` as Lambda gave up on them, stamped `by` ms earlier than the topic's records now. */
  const earlier = (records: readonly LocalKafkaRecord[], by: number) =>
    records.map((r) => ({ ...r, timestamp: r.timestamp - by }));
  const HOUR = 3600 * S;

  it('queues nothing of a range whose first offset holds another record, and keeps the message even when asked to drop expired ones', async () => {
    // Prepare: Lambda gave up on offsets 2-3 of the old topic; the new one holds other records
    // there, the one at 3 as old as Lambda's (only the first end tells)
    const { p0, deps, checkpoint, late } = await kafkaPipelineWithAFailedBatch();
    const gaveUp = [...earlier(p0.slice(2, 3), HOUR), p0[3] as LocalKafkaRecord];
    const queue = memoryQueue([discarded(gaveUp)]);

    // Act
    const kept = await redriveDeadLetters(deps(queue));
    queue.nextRun();
    const dropped = await redriveDeadLetters(deps(queue), { dropExpired: true });

    // Assess: both timestamps named; nothing queued, late or marked as taken
    const found = new Date(T0 + 30 * S + 500).toISOString();
    const expected = new Date(T0 + 30 * S + 500 - HOUR).toISOString();
    expect(kept.left).toEqual([
      {
        messageId: 'm0',
        kind: 'expired',
        reason: `${TOPIC}-0 2-3: 2 of 2 records are no longer in the topic (offsets 2-3 hold other records, the topic was likely recreated: at 2 a record of ${found}, Lambda gave up on one of ${expected}); none is left to redrive`,
      },
    ]);
    expect(kept.redriven).toEqual({ batches: 0, records: 0, waiting: 0, skipped: 0 });
    expect(queue.released).toEqual(['r0', 'r0']);
    expect(late.records).toEqual([]);
    expect((await checkpoint(0))?.redriveInbox).toEqual([]);
    expect((await checkpoint(0))?.redriven ?? []).toEqual([]);
    // timestamps that differ may also be Lambda's record and this reader disagreeing: never dropped
    expect(dropped.dropped).toEqual([]);
    expect(dropped.left).toEqual([
      expect.objectContaining({
        reason: expect.stringContaining('hold other records, the topic was likely recreated'),
      }),
    ]);
    expect(dropped.redriven).toEqual({ batches: 0, records: 0, waiting: 0, skipped: 0 });
    expect(queue.messages).toHaveLength(1);
  });

  it("queues nothing of a range whose ends are both outside a log that ends before it: another topic's records may lie between", async () => {
    // Prepare: Lambda gave up on offsets 2-7 of the old topic; retention took 0-2 of the partition,
    // which ends at 6
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch({ logStart: 3 });
    const gaveUp = [
      ...earlier(p0.slice(2), HOUR),
      ...earlier(
        [
          { ...(p0[5] as LocalKafkaRecord), offset: '6' },
          { ...(p0[5] as LocalKafkaRecord), offset: '7' },
        ],
        HOUR,
      ),
    ];
    const queue = memoryQueue([discarded(gaveUp)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.redriven.records).toBe(0);
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining('cannot be told from another topic'),
      }),
    ]);
    expect((await checkpoint(0))?.redriveInbox).toEqual([]);
  });

  it('queues nothing of a range whose last offset holds another record', async () => {
    // Prepare: the record at 2 as old as Lambda's, the one at 3 not
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch();
    const gaveUp = [p0[2] as LocalKafkaRecord, ...earlier(p0.slice(3, 4), 1)];
    const queue = memoryQueue([discarded(gaveUp)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: a millisecond apart is another record
    const found = new Date(T0 + 65 * S + 500).toISOString();
    const expected = new Date(T0 + 65 * S + 499).toISOString();
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining(`at 3 a record of ${found}, Lambda gave up on one of ${expected}`),
      }),
    ]);
    expect(report.redriven.records).toBe(0);
    expect(queue.messages).toHaveLength(1);
    expect((await checkpoint(0))?.redriveInbox).toEqual([]);
  });

  it('queues nothing of a read cut short whose first record is another', async () => {
    // Prepare: the read gives up after the record at 2
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch({ cutAfter: 1 });
    const queue = memoryQueue([discarded(earlier(p0.slice(2, 4), HOUR))]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.left).toEqual([
      expect.objectContaining({ kind: 'expired', reason: expect.stringContaining('hold other records') }),
    ]);
    expect(report.redriven.records).toBe(0);
    expect(queue.messages).toHaveLength(1);
    expect((await checkpoint(0))?.redriven ?? []).toEqual([]);
  });

  it('checks the end it read when the other is below the log start', async () => {
    // Prepare: retention took offset 2; the record at 3 is another
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch({ logStart: 3 });
    const queue = memoryQueue([discarded(earlier(p0.slice(2, 4), HOUR))]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining('2 of 2 records are no longer in the topic (offsets 2-3 hold other'),
      }),
    ]);
    expect(report.redriven.records).toBe(0);
    expect((await checkpoint(0))?.redriveInbox).toEqual([]);
  });

  it('queues a range whose ends are the records Lambda gave up on, to the millisecond', async () => {
    // Prepare: offsets 2-3 as Lambda named them, timestamps included
    const { p0, deps, checkpoint } = await kafkaPipelineWithAFailedBatch();
    const body = discarded(p0.slice(2, 4));
    const queue = memoryQueue([body]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(readDiscardedBatch(body)).toEqual([
      expect.objectContaining({ firstTimestampMs: T0 + 30 * S + 500, lastTimestampMs: T0 + 65 * S + 500 }),
    ]);
    expect(report.left).toEqual([]);
    expect(report.redriven).toEqual({ batches: 1, records: 2, waiting: 1, skipped: 0 });
    expect((await checkpoint(0))?.redriveInbox.map((r) => r.sequenceNumber)).toEqual(['3']);
  });
});

/** Runs `work` with partition 1's checkpoint writes failing for good (a bug since fixed). */
describe('a Kafka retry that holds applied and new records of a partition', () => {
  it('reports the applied part even when it fails before its own write', async () => {
    // Prepare: partition 0's last write applied 4-5; a retry holds 4-6 and its aggregates put fails
    const { p0, aggregator } = await kafkaPipelineWithAFailedBatch();
    const batch = [...p0.slice(4), clickAt(0, 6, click('ann', T0 + 90 * S))];
    const failing = {
      ...aggregator,
      aggregates: {
        put: async () => {
          throw Object.assign(new Error('throttled'), { name: 'ServiceUnavailableException' });
        },
      },
    };

    // Act
    const outcome = await aggregateBatch(batch.map(asStreamRecord), failing, {
      isolateShards: true,
      denseOffsets: true,
    });

    // Assess
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: '6' }]);
    expect(outcome.applied.get(`${TOPIC}-0`)).toEqual([{ from: '4', to: '5' }]);
  });
});

describe('a Kafka batch with a gap in a partition (a record the mapping left out: RecordAgeExceeded)', () => {
  it('redrives the record left out of the middle of a batch: the applied range stops at the gap', async () => {
    // Prepare: offsets 0-1 applied; then a batch of 2, 4 and 5 (3 left out and given up on)
    const harness = memoryDeps();
    const p0 = [
      clickAt(0, 0, click('ann', T0 + 1 * S)),
      clickAt(0, 1, click('ann', T0 + 20 * S)),
      clickAt(0, 2, click('ann', T0 + 30 * S)),
      clickAt(0, 3, click('bob', T0 + 35 * S)),
      clickAt(0, 4, click('ann', T0 + 75 * S)),
      clickAt(0, 5, click('carl', T0 + 80 * S)),
    ];
    const kafka = { isolateShards: true, denseOffsets: true };
    await aggregateBatch(p0.slice(0, 2).map(asStreamRecord), harness.deps, kafka);
    const gapped = [p0[2], p0[4], p0[5]] as LocalKafkaRecord[];
    await aggregateBatch(gapped.map(asStreamRecord), harness.deps, kafka);
    const { source } = memoryTopic(p0);
    const queue = memoryQueue([discarded([p0[3] as LocalKafkaRecord])]);

    // Act
    const report = await redriveDeadLetters({
      pipeline: harness.deps.pipeline,
      engine: harness.deps.engine,
      stateStore: harness.deps.stateStore,
      late: harness.deps.late,
      deadLetters: harness.deps.deadLetters,
      sqs: queue as unknown as RedriveDependencies['sqs'],
      queueUrl: 'http://localhost/000000000000/dead-letters',
      source,
    });

    // Assess
    const stored = await readCheckpoint(harness.stateStore, clicksPipeline.name, `${TOPIC}-0`);
    expect(stored?.checkpoint.lastApplied).toEqual([
      { from: '2', to: '2' },
      { from: '4', to: '5' },
    ]);
    expect(report.redriven).toMatchObject({ records: 1, skipped: 0 });
  });

  it('marks the runs of a gapped batch a retry found applied, never the offset left out', async () => {
    // Prepare: partition 0 at 6 and 8 (7 left out), partition 1 failing; the first attempt applies
    // partition 0 and ends before marking; the retry marks; partition 0 goes on with 9
    const { p1, deps, aggregator, stateStore } = await kafkaPipelineWithAFailedBatch();
    const kafka = { isolateShards: true, denseOffsets: true };
    const batch = [
      clickAt(0, 6, click('ann', T0 + 90 * S)),
      clickAt(0, 8, click('eve', T0 + 91 * S)),
      p1[1] as LocalKafkaRecord,
    ];
    const first = await withBrokenPartition1(stateStore, () =>
      aggregateBatch(batch.map(asStreamRecord), aggregator, kafka),
    );
    const retry = await withBrokenPartition1(stateStore, () =>
      aggregateBatch(batch.map(asStreamRecord), aggregator, kafka),
    );
    await recordAppliedRanges(retry.applied, aggregator);
    await aggregateBatch([asStreamRecord(clickAt(0, 9, click('ann', T0 + 95 * S)))], aggregator, kafka);
    const queue = memoryQueue([discarded([clickAt(0, 7, click('bob', T0 + 10 * S))])]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: the first attempt applied 6 and 8 as two runs; the retry found both in the last write
    expect(first.applied.get(`${TOPIC}-0`)).toEqual([
      { from: '6', to: '6' },
      { from: '8', to: '8' },
    ]);
    expect(retry.applied.get(`${TOPIC}-0`)).toEqual([
      { from: '6', to: '6' },
      { from: '8', to: '8' },
    ]);
    // offset 7 is not taken as applied: the message stays (the test's topic has no 7 to read)
    expect(report.redriven.skipped).toBe(0);
    expect(queue.messages).toHaveLength(1);
  });
});

async function withBrokenPartition1<T>(stateStore: StateStore, work: () => Promise<T>): Promise<T> {
  const put = stateStore.put.bind(stateStore);
  stateStore.put = async (pipeline, shard, body, etag) => {
    if (shard === `${TOPIC}-1`) throw new ConfigurationError('partition 1 broken (a bug since fixed)');
    return put(pipeline, shard, body, etag);
  };
  try {
    return await work();
  } finally {
    stateStore.put = put;
  }
}
