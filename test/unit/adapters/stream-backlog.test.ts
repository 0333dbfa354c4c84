import {
  type GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandOutput,
} from '@aws-sdk/client-kinesis';
import { describe, expect, it, vi } from 'vitest';
import {
  KafkaPartitionBacklog,
  type OffsetsAdmin,
} from '../../../functions/adapters/kafka/partition-backlog.js';
import {
  KinesisShardBacklog,
  type ShardReadClient,
} from '../../../functions/adapters/kinesis/shard-backlog.js';

const DAY = 24 * 3600_000;
const NOW = Date.now();
const SHARD = 'shardId-000000000000';
const at = (sequenceNumber: string) => ({ sequenceNumber, subSequenceNumber: undefined });

type Page = Pick<GetRecordsCommandOutput, 'MillisBehindLatest' | 'NextShardIterator'> & {
  readonly record?: { readonly seq: string; readonly arrival: number };
};

/**
 * A shard as GetShardIterator / GetRecords answer it: for each iterator type, the pages its
 * iterator reads in turn. Records the calls, so a test can say which reads happened.
 */
function stubShard(
  pages: Partial<Record<'AFTER_SEQUENCE_NUMBER' | 'AT_TIMESTAMP' | 'TRIM_HORIZON', Page[]>>,
) {
  const calls: string[] = [];
  const client = {
    async send(command: GetShardIteratorCommand | GetRecordsCommand) {
      if (command instanceof GetShardIteratorCommand) {
        const type = command.input.ShardIteratorType ?? '';
        calls.push(type);
        return { ShardIterator: `${type}#0` } as GetShardIteratorCommandOutput;
      }
      const [type, n] = String(command.input.ShardIterator).split('#');
      const page = pages[type as keyof typeof pages]?.[Number(n)] ?? { MillisBehindLatest: 0 };
      return {
        Records: page.record
          ? [
              {
                SequenceNumber: page.record.seq,
                ApproximateArrivalTimestamp: new Date(page.record.arrival),
                Data: new Uint8Array(),
                PartitionKey: 'k',
              },
            ]
          : [],
        MillisBehindLatest: page.MillisBehindLatest,
        NextShardIterator: 'NextShardIterator' in page ? page.NextShardIterator : `${type}#${Number(n) + 1}`,
      } as GetRecordsCommandOutput;
    },
  } as ShardReadClient;
  return {
    backlog: new KinesisShardBacklog({ client, streamName: 's', maxRecordAgeMs: DAY, pagePauseMs: 0 }),
    calls,
  };
}

const gap = { MillisBehindLatest: 60_000 };

describe('KinesisShardBacklog', () => {
  it('reads on past empty pages while the shard is behind its tip, and finds the record after them', async () => {
    // Prepare
    const { backlog } = stubShard({
      AFTER_SEQUENCE_NUMBER: [gap, gap, { record: { seq: '12', arrival: NOW } }],
    });

    // Act
    const undelivered = await backlog.hasUndelivered(SHARD, at('10'), NOW);

    // Assess
    expect(undelivered).toBe(true);
  });

  it('says nothing to deliver at the tip (MillisBehindLatest 0) and at the end of a closed shard', async () => {
    // Prepare
    const tip = stubShard({ AFTER_SEQUENCE_NUMBER: [{ MillisBehindLatest: 0 }] });
    const closed = stubShard({
      AFTER_SEQUENCE_NUMBER: [{ MillisBehindLatest: 5000, NextShardIterator: undefined }],
    });

    // Act
    const answers = await Promise.all(
      [tip, closed].map((s) => s.backlog.hasUndelivered(SHARD, at('10'), NOW)),
    );

    // Assess
    expect(answers).toEqual([false, false]);
  });

  it('looks from now - maximum age when the first record is too old: undelivered only if a recent one follows', async () => {
    // Prepare: the first record after the checkpoint arrived two days ago
    const old = { record: { seq: '11', arrival: NOW - 2 * DAY } };
    const recentFollows = stubShard({
      AFTER_SEQUENCE_NUMBER: [old],
      AT_TIMESTAMP: [{ record: { seq: '20', arrival: NOW } }],
    });
    const nothingRecent = stubShard({
      AFTER_SEQUENCE_NUMBER: [old],
      AT_TIMESTAMP: [{ MillisBehindLatest: 0 }],
    });

    // Act
    const answers = await Promise.all(
      [recentFollows, nothingRecent].map((s) => s.backlog.hasUndelivered(SHARD, at('10'), NOW)),
    );

    // Assess
    expect(answers).toEqual([true, false]);
    expect(nothingRecent.calls).toEqual(['AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP']);
  });

  it('after pages of nothing (a checkpoint the stream no longer keeps) compares the recent record with the checkpoint', async () => {
    // Prepare: four empty pages behind the tip after the checkpoint
    const lost = [gap, gap, gap, gap];
    const after = stubShard({
      AFTER_SEQUENCE_NUMBER: lost,
      AT_TIMESTAMP: [{ record: { seq: '50', arrival: NOW } }],
    });
    const before = stubShard({
      AFTER_SEQUENCE_NUMBER: lost,
      AT_TIMESTAMP: [{ record: { seq: '5', arrival: NOW } }],
    });
    const none = stubShard({ AFTER_SEQUENCE_NUMBER: lost, AT_TIMESTAMP: [{ MillisBehindLatest: 0 }] });

    // Act
    const answers = await Promise.all(
      [after, before, none].map((s) => s.backlog.hasUndelivered(SHARD, at('10'), NOW)),
    );

    // Assess
    expect(answers).toEqual([true, false, false]);
  });

  it('asks nothing from a time still to come (the local final flush runs its clock ahead)', async () => {
    // Prepare
    const { backlog, calls } = stubShard({
      AFTER_SEQUENCE_NUMBER: [{ record: { seq: '11', arrival: NOW } }],
    });

    // Act: judged three days ahead, the record is two days older than the maximum age
    const undelivered = await backlog.hasUndelivered(SHARD, at('10'), NOW + 3 * DAY);

    // Assess
    expect(undelivered).toBe(false);
    expect(calls).toEqual(['AFTER_SEQUENCE_NUMBER']);
  });
});

/** A topic's partition 0 as kafkajs' admin answers: its low and high offsets, the first offset at or after a time. */
function stubTopic(
  low: string,
  high: string,
  firstAtOrAfter: (ts: number) => string,
  failFirstConnect = false,
  committed = '-1',
) {
  let connects = 0;
  const admin = {
    async fetchOffsets() {
      return [{ topic: 't', partitions: [{ partition: 0, offset: committed, metadata: null }] }];
    },
    async connect() {
      connects += 1;
      if (connects === 1 && failFirstConnect) throw new Error('Connection error');
    },
    async fetchTopicOffsets() {
      return [{ partition: 0, offset: high, high, low }];
    },
    async fetchTopicOffsetsByTimestamp(_topic: string, ts?: number) {
      return [{ partition: 0, offset: firstAtOrAfter(ts ?? 0) }];
    },
  } as unknown as OffsetsAdmin;
  return {
    backlog: new KafkaPartitionBacklog({ admin, topic: 't', maxRecordAgeMs: DAY, groupId: 'mapping' }),
    connects: () => connects,
  };
}

describe('KafkaPartitionBacklog', () => {
  it('compares the end offset with the offset after the checkpoint', async () => {
    // Prepare: offsets 0-9, all written now
    const { backlog } = stubTopic('0', '10', () => '0');

    // Act
    const atLast = await backlog.hasUndelivered('t-0', at('9'), NOW);
    const oneBefore = await backlog.hasUndelivered('t-0', at('8'), NOW);

    // Assess
    expect({ atLast, oneBefore }).toEqual({ atLast: false, oneBefore: true });
  });

  it('starts from the low offset without a checkpoint, and ignores records older than the maximum age', async () => {
    // Prepare: offsets 5-9 kept; none written in the last day (kafkajs answers the end then)
    const { backlog } = stubTopic('5', '10', () => '10');
    const recentFrom7 = stubTopic('5', '10', () => '7').backlog;

    // Act
    const allOld = await backlog.hasUndelivered('t-0', null, NOW);
    const someRecent = await recentFrom7.hasUndelivered('t-0', at('8'), NOW);

    // Assess
    expect({ allOld, someRecent }).toEqual({ allOld: false, someRecent: true });
  });

  it('does not count records the mapping gave up on (its group committed past the checkpoint)', async () => {
    // Prepare: checkpoint at 5; the mapping discarded 6-9 after its retries and committed 10; or it
    // committed 8 only (6-7 given up on, 8-9 still to come)
    const gaveUp = stubTopic('0', '10', () => '0', false, '10').backlog;
    const partly = stubTopic('0', '10', () => '0', false, '8').backlog;

    // Act
    const answers = await Promise.all([gaveUp, partly].map((b) => b.hasUndelivered('t-0', at('5'), NOW)));

    // Assess
    expect(answers).toEqual([false, true]);
  });

  it('fails the next checks at once after a failed connect, and connects again 30 s later', async () => {
    // Prepare
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    const stub = stubTopic('0', '10', () => '0', true);

    // Act
    const first = await stub.backlog.hasUndelivered('t-0', at('9'), NOW).catch((e: unknown) => e);
    const second = await stub.backlog.hasUndelivered('t-1', at('9'), NOW).catch((e: unknown) => e);
    vi.setSystemTime(NOW + 31_000);
    const later = await stub.backlog.hasUndelivered('t-0', at('9'), NOW).catch((e: unknown) => e);
    vi.useRealTimers();

    // Assess: one connect for the first two checks, the second failing with the same error
    expect(first).toBeInstanceOf(Error);
    expect(second).toBe(first);
    expect(later).toBe(false);
    expect(stub.connects()).toBe(2);
  });
});
