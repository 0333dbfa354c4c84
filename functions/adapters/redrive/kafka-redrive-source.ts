import type { KinesisStreamRecord } from 'aws-lambda';
import type { KafkaPartitionRangeReader } from '../kafka/partition-range.js';
import type { ShardInfo } from '../kinesis/shard-lineage.js';
import type { DiscardedBatch, DiscardedKafkaRange } from './on-failure-record.js';
import type { RedriveRead, RedriveSource } from './redrive-source.js';

/** The reader's calls the source makes (a real reader, or a stub in unit tests). */
export type RangeReader = Pick<KafkaPartitionRangeReader, 'read' | 'close'>;

/**
 * The batches of a Kafka topic, read back by offset. The mapping's consumer group has moved past
 * them, so the reader joins a group of its own (partition-range.ts), opened on a run's first read
 * and closed at its end: a frozen Lambda container cannot keep a group member alive.
 */
export class KafkaRedriveSource implements RedriveSource {
  private reader: RangeReader | undefined;

  constructor(
    private readonly options: {
      /** The pipeline's topic: batches of another one are left alone. */
      readonly topic: string;
      readonly openReader: () => RangeReader;
      /** Wall clock, epoch ms. @default Date.now */
      readonly now?: () => number;
    },
  ) {}

  foreign(batch: DiscardedBatch): string | undefined {
    if (batch.kind !== 'kafka') return `a Kinesis batch (${batch.streamArn}), not of a Kafka topic`;
    if (batch.topic !== this.options.topic) return `a batch of another topic (${batch.topic})`;
    return undefined;
  }

  async read(batch: DiscardedBatch, deadlineMs: number): Promise<RedriveRead> {
    if (batch.kind !== 'kafka') throw new Error(`not a Kafka batch: ${batch.shardId}`);
    this.reader ??= this.options.openReader();
    const read = await this.reader.read(
      {
        topic: batch.topic,
        partition: batch.partition,
        from: batch.from,
        to: batch.to,
        eventSourceArn: batch.clusterArn,
      },
      { timeoutMs: Math.max(1000, deadlineMs - (this.options.now ?? Date.now)()) },
    );
    // Before anything is queued, a read cut short included: other records at the range's offsets
    // are not the batch. Never counted gone for good (`dropExpired` would delete the message):
    // timestamps that differ may also mean Lambda's record gives them otherwise than read here.
    // The message stays, and each run says why, until someone deletes it.
    const firstRecord = at(read.records[0], batch.from) ? read.records[0] : undefined;
    const lastRecord = at(read.records.at(-1), batch.to) ? read.records.at(-1) : undefined;
    const other = otherRecords(batch, firstRecord, lastRecord);
    if (other) return { records: [], complete: false, missing: batch.size, why: other };
    // Neither end read, and the log ends before the range does: the topic was recreated or
    // truncated, and nothing tells the records read in between from another topic's.
    const checkable = firstRecord !== undefined || lastRecord !== undefined;
    const stamped = batch.firstTimestampMs !== undefined || batch.lastTimestampMs !== undefined;
    if (read.complete && read.pastEnd > 0 && stamped && !checkable && read.records.length > 0) {
      const why = `${read.pastEnd} at or past the partition's end and neither end of the range held: the topic was recreated or its log truncated, and the ${read.records.length} records between cannot be told from another topic's`;
      return { records: [], complete: true, missing: batch.size, why };
    }
    const unread = Math.max(1, batch.size - read.records.length);
    if (!read.complete) return { records: read.records, complete: false, missing: unread };
    // Lambda's first and last offset were records it delivered: a read that did not find them
    // where the log still holds them is not to be trusted (never record it as taken).
    // An end outside the log (below its start, at or past its end) is accounted for as missing.
    const first = read.expired > 0 || read.pastEnd >= batch.size || firstRecord !== undefined;
    const last = read.pastEnd > 0 || read.expired >= batch.size || lastRecord !== undefined;
    if (!first || !last) {
      const why = `offsets ${batch.from} and ${batch.to} were records, and the read did not find them: read again later`;
      return { records: read.records, complete: false, missing: unread, why };
    }
    // Offsets missing between the log start and end are no records (transaction markers,
    // compaction). Below the log start, retention deleted them; at or past its end, the topic no
    // longer has them at all: recreated, or its log truncated.
    const why =
      read.pastEnd > 0
        ? `${read.pastEnd} at or past the partition's end: the topic was recreated or its log truncated`
        : undefined;
    return { records: read.records, complete: true, missing: read.expired + read.pastEnd, why };
  }

  /** A Kafka partition is never split or merged. */
  async children(): Promise<readonly ShardInfo[]> {
    return [];
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }
}

/** Whether `record` was read at `offset`. */
function at(record: KinesisStreamRecord | undefined, offset: string): record is KinesisStreamRecord {
  return record !== undefined && BigInt(record.kinesis.sequenceNumber) === BigInt(offset);
}

/**
 * Why the range's offsets hold other records than the batch Lambda gave up on, or undefined: the
 * record read at `from` or `to` has another timestamp than the on-failure record gives for it. A
 * topic deleted and created again (or its log reset) that has grown past the range does. An end
 * not read (below the log start, past its end, not reached by a read cut short: undefined here),
 * or without a timestamp on either side, is not checked.
 */
function otherRecords(
  batch: DiscardedKafkaRange,
  firstRecord: KinesisStreamRecord | undefined,
  lastRecord: KinesisStreamRecord | undefined,
): string | undefined {
  const ends = [
    { record: firstRecord, offset: batch.from, expected: batch.firstTimestampMs },
    { record: lastRecord, offset: batch.to, expected: batch.lastTimestampMs },
  ];
  const differ = new Set<string>();
  for (const { record, offset, expected } of ends) {
    if (expected === undefined || record === undefined) continue;
    // The reader gives the Kafka timestamp in seconds (msk-event.ts): back to whole ms.
    const found = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
    // No timestamp to compare (kafkajs gives one always) tells nothing either way.
    if (!Number.isFinite(found) || found === expected) continue;
    differ.add(`at ${offset} a record of ${iso(found)}, Lambda gave up on one of ${iso(expected)}`);
  }
  if (differ.size === 0) return undefined;
  return `offsets ${batch.from}-${batch.to} hold other records, the topic was likely recreated: ${[...differ].join(' and ')}`;
}

/** An epoch-ms time as ISO-8601; one out of Date's range (a corrupt timestamp) as it is. */
function iso(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}
