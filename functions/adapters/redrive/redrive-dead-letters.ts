import {
  ChangeMessageVisibilityCommand,
  type ChangeMessageVisibilityCommandOutput,
  DeleteMessageCommand,
  type DeleteMessageCommandOutput,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { type LoggerLike, silentLogger } from '../aggregator/dependencies.js';
import { describeError } from '../errors.js';
import type { AnyPipeline } from '../pipeline-event.js';
import { rangeRedriven, readCheckpoint, takenRanges } from '../state/checkpoint.js';
import type { StateStore } from '../state/state-store.js';
import { type DiscardedBatch, readDiscardedBatch } from './on-failure-record.js';
import { queueRedrive, type RedriveInboxDependencies, RedriveNotReadyError } from './queue-redrive.js';
import type { RedriveSource } from './redrive-source.js';

/** The calls a redrive makes on the dead-letter queue (a real SQSClient, or a stub). */
export interface RedriveQueueClient {
  send(command: ReceiveMessageCommand): Promise<ReceiveMessageCommandOutput>;
  send(command: DeleteMessageCommand): Promise<DeleteMessageCommandOutput>;
  send(command: ChangeMessageVisibilityCommand): Promise<ChangeMessageVisibilityCommandOutput>;
}

export interface RedriveDependencies extends RedriveInboxDependencies {
  readonly pipeline: AnyPipeline;
  /** Where the shards' checkpoints are: the redrive queues records in them. */
  readonly stateStore: StateStore;
  /** @default silentLogger */
  readonly logger?: LoggerLike;
  readonly sqs: RedriveQueueClient;
  readonly queueUrl: string;
  /** The pipeline's stream or topic: messages naming another one are left alone. */
  readonly source: RedriveSource;
  /** Wall clock, epoch ms. @default Date.now */
  readonly now?: () => number;
}

export interface RedriveOptions {
  /** Only report what would be redriven. @default false */
  readonly dryRun?: boolean;
  /**
   * Delete a message whose records are past the stream's retention (after queueing those still
   * there): nothing can bring them back, and the message would keep the queue's alarm on.
   * @default false (it stays, reported as expired)
   */
  readonly dropExpired?: boolean;
  /** Messages to take at most in this run. @default 1000 */
  readonly maxMessages?: number;
  /** When the run must stop taking messages (epoch ms). @default now + 10 minutes */
  readonly deadlineMs?: number;
}

/**
 * Why a message stays in the queue: not a batch of this stream (the aggregator's own dead letters,
 * another stream's), records no longer in the stream, a shard handing its keys over to its
 * children right now (`resharded`), a shard not ready yet (no checkpoint, too many records already
 * waiting in it, or a child took keys over during the run: run again later), a dry run, or a
 * failure (which fails the run).
 */
export type LeftKind = 'not-a-batch' | 'expired' | 'resharded' | 'waiting' | 'dry-run' | 'failed';

/** A message left in the queue, and why. */
export interface LeftMessage {
  readonly messageId: string;
  readonly kind: LeftKind;
  readonly reason: string;
}

type Left = Omit<LeftMessage, 'messageId'>;

/** What a run did. A message is deleted only once every record it names is queued in its shard. */
export interface RedriveReport {
  received: number;
  /**
   * Batches redriven (their messages deleted); their records; of those, the ones waiting in their
   * shard's checkpoint for windows still open (the others went to late/ at once, or to the queue
   * when the pipeline rejects them); and the records taken before (not again): redriven, or
   * applied by the shard's last batch write.
   */
  readonly redriven: { batches: number; records: number; waiting: number; skipped: number };
  /** Batches a dry run would redrive. */
  wouldRedrive: number;
  readonly left: LeftMessage[];
  /** Messages deleted with `dropExpired`: records past the stream's retention, lost for good. */
  readonly dropped: { readonly messageId: string; readonly reason: string }[];
}

/** Time kept back from the deadline for the last batch's work. */
const MARGIN_MS = 30_000;

/**
 * Takes the messages of the aggregator's dead-letter queue and redrives the batches the event
 * source mapping gave up on: reads each batch's records back from the Kinesis stream or the Kafka
 * topic (`deps.source`; a Kafka batch has a range per partition), sends those of
 * windows closed by now to `late/` and queues the others in their shard's checkpoint
 * (`queueRedrive`), then deletes the message. The shard's own flow applies the queued ones
 * (redrive-inbox.ts): into their windows if still open when it does, to `late/` otherwise.
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
    redriven: { batches: 0, records: 0, waiting: 0, skipped: 0 },
    wouldRedrive: 0,
    left: [],
    dropped: [],
  };
  const kept: string[] = [];
  try {
    await takeMessages(deps, options, report, kept, deadline);
  } finally {
    const logger = deps.logger ?? silentLogger;
    for (const receiptHandle of kept) {
      // Past the deadline, the rest are left to their visibility timeout (the deadline + 60 s): an
      // SQS outage must not take the run past its time and lose the report.
      if (now() >= deadline) break;
      // One that fails stays invisible until its visibility timeout ends: the run's report stands.
      await deps.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: deps.queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch((error: unknown) => {
          logger.warn('message left in the queue not made visible again: it is when its timeout ends', {
            error: describeError(error),
          });
        });
    }
    // What the run read with is done with (a Kafka consumer leaves its group); a failure to close
    // changes nothing that was queued.
    await deps.source.close().catch((error: unknown) => {
      logger.warn('redrive source not closed', { error: describeError(error) });
    });
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
  const logger = deps.logger ?? silentLogger;
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
      // A message received while time was left may meet a run out of it (a Kafka batch reads a
      // range per partition): the rest of the received ones wait for the next run.
      const left =
        now() < deadline - MARGIN_MS
          ? await redriveMessage(deps, message, options, report, deadline - MARGIN_MS)
          : { kind: 'waiting' as const, reason: "the run's time ran out before this message: run again" };
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
  options: RedriveOptions,
  report: RedriveReport,
  deadlineMs: number,
): Promise<Left | undefined> {
  const batches = readDiscardedBatch(message.Body ?? '');
  if ('notABatch' in batches) return { kind: 'not-a-batch', reason: batches.notABatch };
  // A message naming another stream or topic anywhere is not this pipeline's: all of it stays.
  for (const batch of batches) {
    const foreign = deps.source.foreign(batch);
    if (foreign) return { kind: 'not-a-batch', reason: `${where(batch)}: ${foreign}` };
  }
  // A Kafka batch has a range per partition: the message goes once every one is queued.
  const outcomes: RangeOutcome[] = [];
  for (const batch of batches) {
    if ((deps.now ?? Date.now)() >= deadlineMs) {
      outcomes.push({
        left: { kind: 'waiting', reason: `${where(batch)}: the run's time ran out: run again` },
      });
      continue;
    }
    try {
      outcomes.push(await redriveRange(deps, batch, options, report, deadlineMs));
    } catch (error) {
      if (error instanceof RedriveNotReadyError)
        outcomes.push({ left: { kind: error.kind, reason: `${where(batch)}: ${error.message}` } });
      else outcomes.push({ left: { kind: 'failed', reason: `${where(batch)}: ${describeError(error)}` } });
    }
  }
  const lefts = outcomes.flatMap((o) => (o.left ? [o.left] : []));
  const reason = lefts.map((l) => l.reason).join('; ');
  // A failed range fails the run, whatever the others did; then any other reason to stay.
  const left = lefts.find((l) => l.kind === 'failed') ?? lefts.find((l) => l.kind !== 'dry-run');
  if (left) return { kind: left.kind, reason };
  if (options.dryRun) {
    if (outcomes.every((o) => o.whole)) report.wouldRedrive++;
    return { kind: 'dry-run', reason };
  }
  try {
    await deps.sqs.send(
      new DeleteMessageCommand({ QueueUrl: deps.queueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  } catch (error) {
    // Every record is queued and its range recorded: the next run finds them taken.
    return { kind: 'failed', reason: `${batches.map(where).join(', ')}: ${describeError(error)}` };
  }
  const dropped = outcomes.flatMap((o) => (o.dropped ? [o.dropped] : []));
  if (dropped.length > 0)
    report.dropped.push({ messageId: message.MessageId ?? '?', reason: dropped.join('; ') });
  else report.redriven.batches++;
  return undefined;
}

/** How one range of a message went: why it keeps the message, or what of it is gone for good. */
interface RangeOutcome {
  readonly left?: Left;
  /** Why records of the range were dropped (past retention, with `dropExpired`). */
  readonly dropped?: string;
  /** Dry run: every record of the range is still in the stream. */
  readonly whole?: boolean;
}

function where(batch: DiscardedBatch): string {
  return `${batch.shardId} ${batch.from}-${batch.to}`;
}

async function redriveRange(
  deps: RedriveDependencies,
  batch: DiscardedBatch,
  options: RedriveOptions,
  report: RedriveReport,
  deadlineMs: number,
): Promise<RangeOutcome> {
  // A range taken whole before (an earlier run, a copy of the message; on Kafka, a partition its
  // batch applied: applied-ranges.ts; the shard's last batch write) is not read again: what
  // retention took since is no loss.
  const stored = await readCheckpoint(deps.stateStore, deps.pipeline.name, batch.shardId);
  if (stored && rangeRedriven(takenRanges(stored.checkpoint), batch.from, batch.to)) {
    if (options.dryRun) {
      return {
        left: { kind: 'dry-run', reason: `${where(batch)}: taken before, nothing to redrive` },
        whole: true,
      };
    }
    report.redriven.skipped += batch.size;
    return {};
  }
  const read = await deps.source.read(batch, deadlineMs);
  const { missing } = read;
  const gone = () =>
    `${missing} of ${batch.size} records are no longer in the ${batch.kind === 'kafka' ? 'topic' : 'stream'}${
      read.complete
        ? ` (${read.why ?? 'past its retention'})`
        : ` (${read.why ?? 'the read stopped before the end of the range'})`
    }`;
  // Only what was read is recorded as taken: a later run reads the rest of a range cut short, and
  // finds what retention took before it (the message stays, as expired) however often it runs.
  const first = read.records[0]?.kinesis.sequenceNumber;
  const last = read.records.at(-1)?.kinesis.sequenceNumber;
  const range =
    missing > 0 && first !== undefined && last !== undefined
      ? { from: first, to: last }
      : { from: batch.from, to: batch.to };
  const queued =
    read.records.length > 0
      ? await queue(deps, batch, read.records, range, options.dryRun === true)
      : { redriven: 0, waiting: 0, skipped: 0 };
  if (options.dryRun) {
    const state = missing === 0 ? `all ${batch.size} records still in the stream` : gone();
    return {
      left: {
        kind: 'dry-run',
        reason: `${where(batch)}: ${state}; ${queued.redriven} to redrive (${queued.waiting} of them to wait for their windows), ${queued.skipped} taken before`,
      },
      whole: missing === 0,
    };
  }
  report.redriven.records += queued.redriven;
  report.redriven.waiting += queued.waiting;
  report.redriven.skipped += queued.skipped;
  // Gone for good only when the read went to the end: a read cut short may find the rest later.
  const expiredForGood = missing > 0 && read.complete && options.dropExpired === true;
  if (missing > 0 && !expiredForGood) {
    return {
      left: {
        kind: 'expired',
        reason: `${where(batch)}: ${gone()}; ${
          read.records.length > 0
            ? `the ${read.records.length} still there were redriven`
            : 'none is left to redrive'
        }`,
      },
    };
  }
  return expiredForGood ? { dropped: `${where(batch)}: ${gone()}` } : {};
}

/** Queues a range's records, following their keys to the shards a split or merge moved them to. */
function queue(
  deps: RedriveDependencies,
  batch: DiscardedBatch,
  records: Parameters<typeof queueRedrive>[1],
  range: { readonly from: string; readonly to: string },
  dryRun: boolean,
) {
  const childrenOf = (shard: string) => deps.source.children(batch, shard);
  return queueRedrive(batch.shardId, records, range, { ...deps, childrenOf }, { dryRun });
}
