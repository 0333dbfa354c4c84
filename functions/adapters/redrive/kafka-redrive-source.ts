import type { KinesisStreamRecord } from 'aws-lambda';
import type { KafkaPartitionRangeReader } from '../kafka/partition-range.js';
import type { DiscardedBatch } from './on-failure-record.js';
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
    const unread = Math.max(1, batch.size - read.records.length);
    if (!read.complete) return { records: read.records, complete: false, missing: unread };
    // Lambda's first and last offset were records it delivered: a read that did not find them
    // where the log still holds them is not to be trusted (never record it as taken).
    // An end outside the log (below its start, at or past its end) is accounted for as missing.
    const at = (record: KinesisStreamRecord | undefined, offset: string) =>
      record !== undefined && BigInt(record.kinesis.sequenceNumber) === BigInt(offset);
    const first = read.expired > 0 || read.pastEnd >= batch.size || at(read.records[0], batch.from);
    const last = read.pastEnd > 0 || read.expired >= batch.size || at(read.records.at(-1), batch.to);
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
  async resharded(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }
}
