import type { Admin, Batch, Consumer, Kafka } from 'kafkajs';
import type { DeliveryStream } from './delivery-stream.js';
import { OffsetCommits } from './offset-commits.js';

/** Settings of the Kafka reader of one MSKAsSource delivery stream. */
export interface MskSourceOptions {
  /** A client of the local broker (local/services/clients.ts `kafka()`). */
  readonly kafka: Kafka;
  readonly topic: string;
  /** The delivery stream's own consumer group (see mskConsumerGroupId). */
  readonly groupId: string;
  readonly delivery: DeliveryStream;
  /** Start of partitions the group has no offset for (ReadFromTimestamp); undefined: the earliest. */
  readonly readFromTimestampMs?: number;
  /** How often delivered offsets are committed. @default 500 */
  readonly commitIntervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** The consumer group of a delivery stream, so that its offsets never mix with an aggregator's. */
export function mskConsumerGroupId(deliveryStreamName: string): string {
  return `firehose-${deliveryStreamName}`;
}

/**
 * Reads a Kafka topic for an MSKAsSource delivery stream with its own consumer group: each
 * record's value is the Firehose record (key and headers are not delivered, as by Firehose), its
 * Kafka timestamp the arrival time. Offsets are committed only past records whose objects are in
 * S3, so a killed runtime reads the rest again (at least once, like the Kinesis source).
 */
export class MskSource {
  private readonly commits = new OffsetCommits();
  /** Next offset to read per partition: where the group stood at start, then after each batch. */
  private readonly readTo = new Map<number, bigint>();
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private reading = false;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  /** Records read from the topic. */
  recordsRead = 0;

  constructor(private readonly options: MskSourceOptions) {}

  /** Joins the group and starts reading; rejects when the broker or the topic is missing. */
  async start(): Promise<void> {
    const { topic, delivery } = this.options;
    try {
      await this.join();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`DeliveryStream ${delivery.config.name}: cannot read Kafka topic ${topic}: ${reason}`, {
        cause: error,
      });
    }
    this.commitTimer = setInterval(() => void this.saveCheckpoints(), this.options.commitIntervalMs ?? 500);
    this.commitTimer.unref();
  }

  private async join(): Promise<void> {
    const { kafka, topic, groupId } = this.options;
    const admin = kafka.admin();
    this.admin = admin;
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error('the topic does not exist on the local broker (was it provisioned?)');
    }
    await this.startPositions(admin);
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      // A short fetch wait: disconnect waits for the fetch in flight (5 s by default).
      maxWaitTimeInMs: 500,
      // A killed runtime's member blocks the group's next join until its session expires (30 s by default).
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      // Only what the broker accepted counts: commitOffsets is silently skipped while not running.
      for (const t of payload.topics) if (t.topic === topic) this.commits.markCommitted(t.partitions);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.options.onError?.(payload.error));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    this.reading = true;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => this.take(batch, heartbeat),
    });
  }

  /** Stops taking records (buffers are left to the delivery stream's flush); the group stays joined. */
  async stop(): Promise<void> {
    if (!this.reading) return;
    this.reading = false;
    this.consumer?.pause([{ topic: this.options.topic }]);
  }

  /** Commits the offsets of every record in S3 (after a flush: a restart resumes exactly there). */
  saveCheckpoints(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const pending = this.commits.pending();
      if (pending.length === 0 || this.consumer === undefined) return;
      try {
        await this.consumer.commitOffsets(pending.map((p) => ({ topic: this.options.topic, ...p })));
      } catch (error) {
        this.options.onError?.(error);
      }
    });
    return this.committing;
  }

  /** Commits what is delivered and leaves the group (after stop and the final flush). */
  async close(): Promise<void> {
    clearInterval(this.commitTimer);
    this.reading = false;
    await this.saveCheckpoints();
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
  }

  /**
   * Waits until every partition is read up to where its end stood at the call: at the end of a
   * run, what was produced is handed to the delivery stream before its final flush. False when a
   * partition did not get there within `timeoutMs`, or the source was stopped.
   */
  async readToTip(timeoutMs = 30_000): Promise<boolean> {
    const since = Date.now();
    if (this.admin === undefined) return false;
    const ends = await this.admin.fetchTopicOffsets(this.options.topic);
    const reached = () => ends.every((e) => (this.readTo.get(e.partition) ?? 0n) >= BigInt(e.high));
    while (!reached()) {
      if (!this.reading || Date.now() - since > timeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /**
   * Where each partition starts: its committed offset, else ReadFromTimestamp's offset (committed
   * now, so that a restart before any delivery starts there too), else the earliest.
   */
  private async startPositions(admin: Admin): Promise<void> {
    const { topic, groupId, readFromTimestampMs } = this.options;
    const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    const low = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.low)]));
    if (readFromTimestampMs !== undefined && [...committed.values()].some((offset) => offset < 0n)) {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, readFromTimestampMs);
      // Only where the time is past the earliest offset: setOffsets costs a group join and a fetch wait (~5 s).
      const partitions = byTime.filter(
        (p) => (committed.get(p.partition) ?? -1n) < 0n && BigInt(p.offset) > (low.get(p.partition) ?? 0n),
      );
      if (partitions.length > 0) await admin.setOffsets({ groupId, topic, partitions });
      for (const p of partitions) committed.set(p.partition, BigInt(p.offset));
    }
    for (const [partition, start] of low) {
      const offset = committed.get(partition) ?? -1n;
      // The consumer starts at the earliest offset without a commit or below the log's start.
      this.readTo.set(partition, offset > start ? offset : start);
    }
  }

  private async take(batch: Batch, heartbeat: () => Promise<void>): Promise<void> {
    if (!this.reading) return; // read again after a restart: nothing of it is committed
    const { delivery } = this.options;
    for (const [i, message] of batch.messages.entries()) {
      this.recordsRead++;
      const delivered = this.commits.track(batch.partition, message.offset);
      // A tombstone (null value) becomes an empty record: Firehose documents no other treatment.
      delivery.put(message.value ?? Buffer.alloc(0), Number(message.timestamp), delivered);
      // Heartbeats go out between batches only: a long batch must keep the group session alive.
      if (i % 1000 === 999) await heartbeat();
    }
    this.readTo.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
  }
}
