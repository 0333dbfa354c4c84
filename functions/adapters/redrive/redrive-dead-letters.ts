import {
  ChangeMessageVisibilityCommand,
  type ChangeMessageVisibilityCommandOutput,
  DeleteMessageCommand,
  type DeleteMessageCommandOutput,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { redriveRange } from '../aggregator/aggregate-batch.js';
import { type AggregatorDependencies, silentLogger } from '../aggregator/dependencies.js';
import { isRetriable } from '../errors.js';
import type { ShardReadClient } from '../kinesis/shard-backlog.js';
import { readShardRange } from '../kinesis/shard-range.js';
import { type DiscardedBatch, readDiscardedBatch } from './on-failure-record.js';

/** The calls a redrive makes on the dead-letter queue (a real SQSClient, or a stub). */
export interface RedriveQueueClient {
  send(command: ReceiveMessageCommand): Promise<ReceiveMessageCommandOutput>;
  send(command: DeleteMessageCommand): Promise<DeleteMessageCommandOutput>;
  send(command: ChangeMessageVisibilityCommand): Promise<ChangeMessageVisibilityCommandOutput>;
}

/** Which shards were split or merged: their keys' state moved to the children. */
export interface ShardChildren {
  hasChildren(streamArn: string, shardId: string): Promise<boolean>;
}

export interface RedriveDependencies {
  /** The aggregator's own wiring: state store, sinks, engine. */
  readonly aggregator: AggregatorDependencies;
  readonly sqs: RedriveQueueClient;
  readonly queueUrl: string;
  readonly kinesis: ShardReadClient;
  /** The pipeline's stream: messages naming another one are left alone. */
  readonly streamName: string;
  readonly shards: ShardChildren;
  /** Wall clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Pause between GetRecords pages. @default 200 ms */
  readonly pagePauseMs?: number;
}

export interface RedriveOptions {
  /** Only report what would be redriven. @default false */
  readonly dryRun?: boolean;
  /** Messages to take at most in this run. @default 1000 */
  readonly maxMessages?: number;
  /** When the run must stop taking messages (epoch ms). @default now + 10 minutes */
  readonly deadlineMs?: number;
}

/**
 * Why a message stays in the queue: not a batch of this stream (the aggregator's own dead letters,
 * another stream's), records no longer in the stream, a shard resharded since, a dry run, or a
 * failure applying them (which fails the run).
 */
export type LeftKind = 'not-a-batch' | 'expired' | 'resharded' | 'dry-run' | 'failed';

/** A message left in the queue, and why. */
export interface LeftMessage {
  readonly messageId: string;
  readonly kind: LeftKind;
  readonly reason: string;
}

type Left = Omit<LeftMessage, 'messageId'>;

/** What a run did. A message is deleted only once every record it names was applied. */
export interface RedriveReport {
  received: number;
  /** Batches applied (their messages deleted), their records, and those of them found late. */
  readonly redriven: { batches: number; records: number; late: number; skipped: number };
  /** Batches a dry run would redrive. */
  wouldRedrive: number;
  readonly left: LeftMessage[];
}

/** Attempts at one batch when its checkpoint write loses to the aggregator (or a flush). */
const ATTEMPTS = 3;
/** Time kept back from the deadline for the last batch's work. */
const MARGIN_MS = 30_000;

/**
 * Takes the messages of the aggregator's dead-letter queue and redrives the Kinesis batches the
 * event source mapping gave up on: reads each batch's records back from the stream and applies
 * them to their shard's checkpoint (`redriveRange`), then deletes the message. Records whose
 * windows closed meanwhile go to `late/`, as any late record does.
 *
 * Messages are received with a visibility timeout to the end of the run, so each is seen once; those
 * not deleted (not a batch, records expired, a failure, a dry run) are made visible again when the
 * run ends, so the next run (or a person) finds them at once.
 */
export async function redriveDeadLetters(
  deps: RedriveDependencies,
  options: RedriveOptions = {},
): Promise<RedriveReport> {
  const now = deps.now ?? Date.now;
  const deadline = options.deadlineMs ?? now() + 10 * 60_000;
  const report: RedriveReport = {
    received: 0,
    redriven: { batches: 0, records: 0, late: 0, skipped: 0 },
    wouldRedrive: 0,
    left: [],
  };
  const kept: string[] = [];
  try {
    await takeMessages(deps, options, report, kept, deadline);
  } finally {
    for (const receiptHandle of kept) {
      await deps.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: deps.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
  }
  return report;
}

async function takeMessages(
  deps: RedriveDependencies,
  options: RedriveOptions,
  report: RedriveReport,
  kept: string[],
  deadline: number,
): Promise<void> {
  const now = deps.now ?? Date.now;
  const logger = deps.aggregator.logger ?? silentLogger;
  const maxMessages = options.maxMessages ?? 1000;
  while (report.received < maxMessages && now() < deadline - MARGIN_MS) {
    const visibleAgainIn = Math.ceil((deadline - now()) / 1000) + 60;
    const received = await deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deps.queueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages - report.received),
        VisibilityTimeout: visibleAgainIn,
        WaitTimeSeconds: 0,
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    for (const message of messages) {
      report.received++;
      const left = await redriveMessage(deps, message, options.dryRun === true, report);
      if (left) {
        report.left.push({ messageId: message.MessageId ?? '?', ...left });
        if (message.ReceiptHandle) kept.push(message.ReceiptHandle);
        logger.warn('dead-letter message left in the queue', { messageId: message.MessageId, ...left });
      }
    }
  }
}

/** Redrives one message; returns why it stays in the queue, or undefined once it is deleted. */
async function redriveMessage(
  deps: RedriveDependencies,
  message: Message,
  dryRun: boolean,
  report: RedriveReport,
): Promise<Left | undefined> {
  const batch = readDiscardedBatch(message.Body ?? '');
  if ('notABatch' in batch) return { kind: 'not-a-batch', reason: batch.notABatch };
  const where = `${batch.shardId} ${batch.from}-${batch.to}`;
  if (!batch.streamArn.endsWith(`/${deps.streamName}`)) {
    return { kind: 'not-a-batch', reason: `${where}: a batch of another stream (${batch.streamArn})` };
  }
  try {
    return await redriveBatch(deps, batch, message, dryRun, report);
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'failed', reason: `${where}: ${why}` };
  }
}

async function redriveBatch(
  deps: RedriveDependencies,
  batch: DiscardedBatch,
  message: Message,
  dryRun: boolean,
  report: RedriveReport,
): Promise<Left | undefined> {
  const where = `${batch.shardId} ${batch.from}-${batch.to}`;
  if (await deps.shards.hasChildren(batch.streamArn, batch.shardId)) {
    return {
      kind: 'resharded',
      reason: `${where}: the shard was split or merged since, and its keys' windows moved to its children; redriving into a closed shard is not supported`,
    };
  }
  const read = await readShardRange(deps.kinesis, batch, { pagePauseMs: deps.pagePauseMs });
  const missing = batch.size - read.records.length;
  const gone = () =>
    `${missing} of ${batch.size} records are no longer in the stream${
      read.startExpired ? ' (past its retention)' : ' (the read stopped before the end of the range)'
    }`;
  if (dryRun) {
    if (missing === 0) report.wouldRedrive++;
    const state = missing === 0 ? `all ${batch.size} records still in the stream` : gone();
    return { kind: 'dry-run', reason: `${where}: ${state}` };
  }
  if (read.records.length > 0) {
    const applied = await applyWithRetries(deps, batch, read.records);
    report.redriven.records += applied.recordsIn;
    report.redriven.late += applied.lateRecords;
    report.redriven.skipped += applied.skipped;
  }
  if (missing > 0) {
    return {
      kind: 'expired',
      reason: `${where}: ${gone()}; the ${read.records.length} still there were applied`,
    };
  }
  await deps.sqs.send(
    new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle }),
  );
  report.redriven.batches++;
  return undefined;
}

async function applyWithRetries(
  deps: RedriveDependencies,
  batch: DiscardedBatch,
  records: Parameters<typeof redriveRange>[1],
) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await redriveRange(batch.shardId, records, { from: batch.from, to: batch.to }, deps.aggregator);
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetriable(error)) throw error;
    }
  }
}
