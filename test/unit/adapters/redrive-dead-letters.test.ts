import {
  type GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type GetShardIteratorCommandOutput,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import type { ShardReadClient } from '../../../functions/adapters/kinesis/shard-backlog.js';
import type { ShardInfo } from '../../../functions/adapters/kinesis/shard-lineage.js';
import { KinesisRedriveSource } from '../../../functions/adapters/redrive/kinesis-redrive-source.js';
import { readDiscardedBatch } from '../../../functions/adapters/redrive/on-failure-record.js';
import {
  type RedriveDependencies,
  redriveDeadLetters,
} from '../../../functions/adapters/redrive/redrive-dead-letters.js';
import { unusableEntryLetter } from '../../../functions/adapters/sinks/dead-letter-sink.js';
import { readCheckpoint } from '../../../functions/adapters/state/checkpoint.js';
import { kafkaOnFailureRecord } from '../../../local/runtime/event-source-mapping/kafka-on-failure.js';
import { onFailureRecord } from '../../../local/runtime/event-source-mapping/on-failure.js';
import { sequenceNumber } from '../../fixtures/kinesis-events.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';
import { clockPassingOnRead, memoryQueue } from './redrive-harness.js';

const SHARD = 'shardId-000000000006';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/tributary-dev-test-clicks';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:aggregator';
const S = 1000;

/**
 * A shard as GetShardIterator AT_SEQUENCE_NUMBER and GetRecords answer it, two records a page.
 * With `stallAt`, pages from that record on come back empty while the shard says it is behind (a
 * sparse stretch), until `stalls` is set to false.
 */
function memoryShard(
  records: readonly KinesisStreamRecord[],
  firstKept = 0,
  stallAt = Number.POSITIVE_INFINITY,
) {
  const kept = records.slice(firstKept).map((r) => ({
    SequenceNumber: r.kinesis.sequenceNumber,
    PartitionKey: r.kinesis.partitionKey,
    Data: Buffer.from(r.kinesis.data, 'base64'),
    ApproximateArrivalTimestamp: new Date(r.kinesis.approximateArrivalTimestamp * 1000),
  }));
  const reads: string[] = [];
  const shard = {
    reads,
    stalls: true,
    async send(command: GetShardIteratorCommand | GetRecordsCommand) {
      if (command instanceof GetShardIteratorCommand) {
        const input = command.input as GetShardIteratorCommandInput;
        const start = BigInt(input.StartingSequenceNumber ?? '0');
        // A sequence number before the trim horizon reads from the oldest record kept.
        const index = kept.findIndex((r) => BigInt(r.SequenceNumber) >= start);
        return { ShardIterator: `at#${index < 0 ? kept.length : index}` } as GetShardIteratorCommandOutput;
      }
      const at = Number((command.input.ShardIterator ?? '').split('#')[1]);
      reads.push(command.input.ShardIterator ?? '');
      const page =
        shard.stalls && at >= stallAt
          ? []
          : kept.slice(at, Math.min(at + 2, shard.stalls ? stallAt : at + 2));
      return {
        Records: page,
        NextShardIterator: `at#${at + page.length}`,
        MillisBehindLatest: at + page.length >= kept.length ? 0 : 1000,
      } as unknown as GetRecordsCommandOutput;
    },
  };
  return shard;
}

/** What Lambda sends the on-failure queue for records the mapping gave up on. */
function discarded(records: readonly KinesisStreamRecord[], streamArn = STREAM_ARN): string {
  const batch = records.map((r) => ({
    sequenceNumber: r.kinesis.sequenceNumber,
    partitionKey: r.kinesis.partitionKey,
    data: Buffer.from(r.kinesis.data, 'base64'),
    approximateArrivalTimestamp: r.kinesis.approximateArrivalTimestamp * 1000,
  }));
  return JSON.stringify(
    onFailureRecord(
      {
        records: batch,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
        lastOutcome: undefined,
      },
      { shardId: SHARD, streamArn, functionArn: FUNCTION_ARN },
    ),
  );
}

/**
 * Batches A and C applied, B given up on (as in redrive-inbox.test.ts): B's click of bob is late by
 * now, its click of ann at T0 + 65 s still on time.
 */
async function pipelineWithAFailedBatch(
  options: { firstKept?: number; stallAt?: number; children?: ShardInfo[] } = {},
) {
  const harness = memoryDeps();
  const a = clickRecords([click('ann', T0 + 1 * S), click('ann', T0 + 20 * S)], 1);
  const b = clickRecords([click('bob', T0 + 30 * S), click('ann', T0 + 65 * S)], 3);
  const c = clickRecords([click('ann', T0 + 75 * S), click('carl', T0 + 80 * S)], 5);
  await aggregateBatch(a, harness.deps);
  await aggregateBatch(c, harness.deps);
  const shard = memoryShard([...a, ...b, ...c], options.firstKept, options.stallAt);
  const checked: string[] = [];
  const deps = (queue: ReturnType<typeof memoryQueue>): RedriveDependencies => ({
    pipeline: harness.deps.pipeline,
    engine: harness.deps.engine,
    stateStore: harness.deps.stateStore,
    late: harness.deps.late,
    deadLetters: harness.deps.deadLetters,
    sqs: queue as unknown as RedriveDependencies['sqs'],
    queueUrl: 'http://localhost/000000000000/dead-letters',
    source: new KinesisRedriveSource({
      client: shard as unknown as ShardReadClient,
      streamName: 'tributary-dev-test-clicks',
      shards: {
        async childrenOf(_arn, shardId) {
          checked.push(shardId);
          return shardId === SHARD ? (options.children ?? []) : [];
        },
      },
      pagePauseMs: 0,
    }),
  });
  const checkpoint = async () =>
    (await readCheckpoint(harness.stateStore, clicksPipeline.name, SHARD))?.checkpoint;
  return { ...harness, a, b, c, shard, checked, deps, checkpoint };
}

describe('readDiscardedBatch', () => {
  it("reads Lambda's on-failure record of a Kinesis batch", () => {
    // Prepare
    const records = clickRecords([click('ann', T0), click('bob', T0 + 1)], 3);

    // Act
    const batch = readDiscardedBatch(discarded(records));

    // Assess
    expect(batch).toEqual([
      {
        kind: 'kinesis',
        streamArn: STREAM_ARN,
        shardId: SHARD,
        from: sequenceNumber(3),
        to: sequenceNumber(4),
        size: 2,
        condition: 'RetryAttemptsExhausted',
      },
    ]);
  });

  it.each([
    ['not JSON', 'not JSON'],
    [
      JSON.stringify(unusableEntryLetter('test-clicks', { x: 1 }, 'not-a-kinesis-record: Records[0]')),
      'a record the aggregator dead-lettered (not-a-kinesis-record)',
    ],
    [
      JSON.stringify(
        kafkaOnFailureRecord(
          {
            records: [],
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: 1,
            lastOutcome: undefined,
          },
          {
            eventSourceArn: 'arn:aws:kafka:us-east-1:0:cluster/c/1',
            bootstrapServers: 'b:9092',
            functionArn: FUNCTION_ARN,
          },
        ),
      ),
      'a Kafka on-failure record naming no partition',
    ],
    [
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        KinesisBatchInfo: { shardId: SHARD },
      }),
      'not a Kinesis on-failure record (KinesisBatchInfo.startSequenceNumber',
    ],
  ])('says why %s is not a batch to redrive', (body, reason) => {
    // Act
    const batch = readDiscardedBatch(body);

    // Assess
    expect(batch).toEqual({ notABatch: expect.stringContaining(reason) });
  });
});

describe('redriveDeadLetters', () => {
  it('queues each batch read back from the stream in its shard, then deletes its message', async () => {
    // Prepare
    const { b, deps, checkpoint, late } = await pipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(b)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));
    queue.nextRun();
    const second = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report).toEqual({
      received: 1,
      redriven: { batches: 1, records: 2, waiting: 1, skipped: 0 },
      wouldRedrive: 0,
      left: [],
      dropped: [],
    });
    expect(queue.messages).toEqual([]);
    expect(queue.released).toEqual([]);
    expect(second.received).toBe(0);
    // bob's click went to late/ (its window closed), ann's waits for its window
    expect(late.records).toEqual([expect.objectContaining({ sequence_number: sequenceNumber(3) })]);
    expect((await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(4)]);
    expect((await checkpoint())?.redriven).toHaveLength(1);
    expect((await checkpoint())?.position?.sequenceNumber).toBe(sequenceNumber(6));
  });

  it('skips a batch its last attempt applied before Lambda gave it up, while the shard has had no batch since', async () => {
    // Prepare: batch C's last attempt wrote its checkpoint and timed out; Lambda dead-lettered it
    const { c, deps, checkpoint, late } = await pipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(c)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: taken before, the message deleted, nothing sent or queued again
    expect(report.redriven).toEqual({ batches: 1, records: 0, waiting: 0, skipped: 2 });
    expect(queue.messages).toEqual([]);
    expect(late.records).toEqual([]);
    expect((await checkpoint())?.redriveInbox).toEqual([]);
  });

  it("leaves what is not this stream's batch in the queue, with the reason, and touches nothing", async () => {
    // Prepare
    const { b, deps, stateStore } = await pipelineWithAFailedBatch();
    const poison = JSON.stringify(
      unusableEntryLetter('test-clicks', 'x', 'not-a-kinesis-record: Records[0]'),
    );
    const other = discarded(b, 'arn:aws:kinesis:us-east-1:000000000000:stream/someone-else');
    const queue = memoryQueue([poison, other, '{"not": "a record"}']);
    const writes = stateStore.writes;

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.left.map((l) => l.kind)).toEqual(['not-a-batch', 'not-a-batch', 'not-a-batch']);
    expect(report.left[1]?.reason).toContain('a batch of another stream');
    expect(queue.messages).toHaveLength(3);
    expect(queue.released).toEqual(['r0', 'r1', 'r2']);
    expect(stateStore.writes).toBe(writes);
  });

  it('queues what the stream still holds of a batch and keeps the message, saying how many expired', async () => {
    // Prepare: the stream's retention took bob's record (and the ones before)
    const { b, deps, checkpoint } = await pipelineWithAFailedBatch({ firstKept: 3 });
    const queue = memoryQueue([discarded(b)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.redriven).toEqual({ batches: 0, records: 1, waiting: 1, skipped: 0 });
    expect(report.left).toEqual([
      {
        messageId: 'm0',
        kind: 'expired',
        reason: `${SHARD} ${sequenceNumber(3)}-${sequenceNumber(4)}: 1 of 2 records are no longer in the stream (past its retention); the 1 still there were redriven`,
      },
    ]);
    expect(queue.messages).toHaveLength(1);
    expect((await checkpoint())?.redriven).toHaveLength(1);
  });

  it('changes nothing in a dry run', async () => {
    // Prepare
    const { b, deps, stateStore } = await pipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(b)]);
    const writes = stateStore.writes;

    // Act
    const report = await redriveDeadLetters(deps(queue), { dryRun: true });

    // Assess
    expect(report.wouldRedrive).toBe(1);
    expect(report.left).toEqual([
      expect.objectContaining({
        kind: 'dry-run',
        reason: expect.stringContaining(
          'all 2 records still in the stream; 2 to redrive (1 of them to wait for their windows), 0 taken before',
        ),
      }),
    ]);
    expect(stateStore.writes).toBe(writes);
    expect(queue.messages).toHaveLength(1);
    expect(queue.released).toEqual(['r0']);
  });

  it('queues a batch of a shard split since in that shard while its children have not taken its keys over', async () => {
    // Prepare: the shard was split in two; neither child has had a batch (a checkpoint)
    const MAX = (1n << 128n) - 1n;
    const children: ShardInfo[] = [
      { shardId: 'shardId-000000000001', parentShardId: SHARD, hashKeyRange: { start: 0n, end: MAX / 2n } },
      {
        shardId: 'shardId-000000000002',
        parentShardId: SHARD,
        hashKeyRange: { start: MAX / 2n + 1n, end: MAX },
      },
    ];
    const { b, deps, checked, checkpoint } = await pipelineWithAFailedBatch({ children });
    const queue = memoryQueue([discarded(b)]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess: bob's click went to late/, ann's waits in the parent (its child's first batch takes
    // it over with her windows); the children were listed
    expect(report.left).toEqual([]);
    expect(report.redriven).toEqual({ batches: 1, records: 2, waiting: 1, skipped: 0 });
    expect(checked).toContain(SHARD);
    expect((await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(4)]);
    expect(queue.messages).toEqual([]);
  });

  it('reports a batch it cannot queue as failed, keeps its message, and goes on with the next', async () => {
    // Prepare: the shard's checkpoint is damaged; a second message is fine
    const { a, b, deps, stateStore } = await pipelineWithAFailedBatch();
    const current = await stateStore.get(clicksPipeline.name, SHARD);
    await stateStore.put(clicksPipeline.name, SHARD, Buffer.from('{"v": 1'), current?.etag);
    const queue = memoryQueue([
      discarded(b),
      discarded(a.slice(0, 1), 'arn:aws:kinesis:us-east-1:0:stream/other'),
    ]);

    // Act
    const report = await redriveDeadLetters(deps(queue));

    // Assess
    expect(report.received).toBe(2);
    expect(report.left[0]).toEqual({
      messageId: 'm0',
      kind: 'failed',
      reason: expect.stringContaining('CheckpointCorruptError: checkpoint must be JSON'),
    });
    expect(report.left[1]).toMatchObject({ kind: 'not-a-batch' });
    expect(queue.messages).toHaveLength(2);
  });

  it('records only what it read of a range cut short, and queues the rest on a later run', async () => {
    // Prepare: the shard answers empty pages from ann's record at T0 + 65 s on (a sparse stretch)
    const { b, deps, shard, checkpoint, late } = await pipelineWithAFailedBatch({ stallAt: 3 });
    const queue = memoryQueue([discarded(b)]);

    // Act: even asked to drop what expired, it keeps a message whose read was cut short
    const first = await redriveDeadLetters(deps(queue), { dropExpired: true });
    shard.stalls = false;
    queue.nextRun();
    const second = await redriveDeadLetters(deps(queue));

    // Assess
    expect(first.dropped).toEqual([]);
    expect(first.left).toEqual([
      expect.objectContaining({
        kind: 'expired',
        reason: expect.stringContaining('(the read stopped before the end of the range)'),
      }),
    ]);
    expect(second.redriven).toEqual({ batches: 1, records: 1, waiting: 1, skipped: 1 });
    expect(late.records).toEqual([expect.objectContaining({ sequence_number: sequenceNumber(3) })]);
    expect((await checkpoint())?.redriveInbox.map((r) => r.sequenceNumber)).toEqual([sequenceNumber(4)]);
    expect(queue.messages).toEqual([]);
  });

  it('deletes a message whose records are past retention when asked to, reporting it as dropped', async () => {
    // Prepare: the stream kept ann's record, not bob's
    const { b, deps, checkpoint } = await pipelineWithAFailedBatch({ firstKept: 3 });
    const queue = memoryQueue([discarded(b)]);

    // Act
    const report = await redriveDeadLetters(deps(queue), { dropExpired: true });

    // Assess
    expect(report.dropped).toEqual([
      {
        messageId: 'm0',
        reason: expect.stringContaining('1 of 2 records are no longer in the stream (past its retention)'),
      },
    ]);
    expect(report.left).toEqual([]);
    expect(queue.messages).toEqual([]);
    expect((await checkpoint())?.redriveInbox).toHaveLength(1);
  });

  it('reports a message it could not delete as failed and goes on with the next, releasing both', async () => {
    // Prepare: the first delete times out
    const { b, deps } = await pipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(b), 'not JSON']);
    queue.failing.deletes = 1;

    // Act
    const report = await redriveDeadLetters(deps(queue));
    const released = [...queue.released];
    queue.nextRun();
    const second = await redriveDeadLetters(deps(queue));

    // Assess: queued all the same; the next run finds the records taken and deletes the message
    expect(report.left).toEqual([
      expect.objectContaining({
        messageId: 'm0',
        kind: 'failed',
        reason: expect.stringContaining('TimeoutError'),
      }),
      expect.objectContaining({ messageId: 'm1', kind: 'not-a-batch' }),
    ]);
    expect(report.redriven.records).toBe(2);
    expect(released).toEqual(['r0', 'r1']);
    expect(second.redriven).toEqual({ batches: 1, records: 0, waiting: 0, skipped: 2 });
  });

  it('keeps its report and closes its source when releasing a message it leaves fails', async () => {
    // Prepare: the first of two releases times out
    const { deps } = await pipelineWithAFailedBatch();
    const queue = memoryQueue(['not JSON', '{}']);
    queue.failing.releases = 1;
    const redrive = deps(queue);
    let closed = 0;
    const source = Object.assign(Object.create(redrive.source), { close: async () => void closed++ });

    // Act
    const report = await redriveDeadLetters({ ...redrive, source });

    // Assess: the second one released all the same
    expect(report.left.map((l) => l.messageId)).toEqual(['m0', 'm1']);
    expect(queue.released).toEqual(['r1']);
    expect(closed).toBe(1);
  });

  it('leaves the messages it received once its time is up, for the next run', async () => {
    // Prepare: the clock passes the time kept back for the run's end (30 s before its deadline)
    // while the first message is redriven
    const { b, deps } = await pipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(b), discarded(b)]);
    const redrive = clockPassingOnRead(deps(queue), 45_000);

    // Act
    const report = await redriveDeadLetters(redrive, { deadlineMs: 60_000 });

    // Assess
    expect(report.received).toBe(2);
    expect(report.redriven.batches).toBe(1);
    expect(report.left).toEqual([
      expect.objectContaining({
        messageId: 'm1',
        kind: 'waiting',
        reason: expect.stringContaining('time ran out'),
      }),
    ]);
    expect(queue.released).toEqual(['r1']);
  });

  it('leaves releasing to the visibility timeout once the run is past its deadline', async () => {
    // Prepare: the clock passes the deadline itself while the first message is redriven
    const { b, deps } = await pipelineWithAFailedBatch();
    const queue = memoryQueue([discarded(b), 'not JSON']);
    const redrive = clockPassingOnRead(deps(queue), 100_000);

    // Act
    const report = await redriveDeadLetters(redrive, { deadlineMs: 60_000 });

    // Assess: the report stands; the message left is visible again when its timeout ends
    expect(report.left).toEqual([expect.objectContaining({ messageId: 'm1', kind: 'waiting' })]);
    expect(queue.released).toEqual([]);
  });
});
