import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { readEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import { waitUntilCaughtUp } from './catch-up.js';
import type { InputRecord } from './input.js';
import type { PipelineRuntime } from './runtime.js';
import { forEachStreamRecord } from './stream-reader.js';

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM; a second one ends the process as usual. */
export function untilInterrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** Records others wrote to the stream while a --keep-running run waited. */
export interface RecordsWrittenByOthers {
  /** Valid envelopes of the pipeline, as input records (their event's JSON, their arrival time). */
  readonly records: InputRecord[];
  /** Records that are not such an envelope: the aggregator dead-letters them; they close no window. */
  readonly unreadable: number;
}

/**
 * Where a --keep-running run's mapping stood once caught up (per shard, or per partition), and the
 * pipeline's envelopes written after that: the stream's side of {@link keepRunning}.
 */
export interface WrittenByOthers {
  /** Taken right after the catch-up, before the run says so. */
  consumedPositions(runtime: PipelineRuntime): Promise<Readonly<Record<string, string>>>;
  /** What was written after those positions, read once the mapping caught up again. */
  recordsWrittenSince(
    positions: Readonly<Record<string, string>>,
    pipelineName: string,
  ): Promise<RecordsWrittenByOthers>;
}

/**
 * Collects records others wrote, e.g. by `tributary produce` beside a --keep-running run. They are
 * not in the run's input, but the aggregator applied them, so the reconciliation needs them: each
 * valid envelope becomes an input record the pipeline parses as the aggregator did (its event,
 * validated again), placed after the run's own records, which every shard or partition holds
 * before them. Anything else is counted as unreadable (the aggregator dead-letters it).
 */
export class WrittenRecordsCollector {
  private readonly records: InputRecord[] = [];
  private unreadable = 0;

  constructor(private readonly pipelineName: string) {}

  add(data: Uint8Array | null | undefined, arrivalMs: number): void {
    const envelope = parseEnvelope(data);
    if (typeof envelope === 'string' || envelope.pipeline !== this.pipelineName) {
      this.unreadable += 1;
      return;
    }
    const { event } = envelope;
    this.records.push({ text: typeof event === 'string' ? event : JSON.stringify(event), arrivalMs });
  }

  collected(): RecordsWrittenByOthers {
    return { records: this.records, unreadable: this.unreadable };
  }
}

/**
 * The records written to the Kinesis stream after `tips` (each shard's last sequence number once
 * the run's own had been consumed). KPL-aggregated records are not unpacked here (tributary's
 * producers do not aggregate) and count as unreadable.
 */
export async function recordsWrittenSince(
  kinesis: KinesisClient,
  streamName: string,
  pipelineName: string,
  tips: Readonly<Record<string, string>>,
): Promise<RecordsWrittenByOthers> {
  const collector = new WrittenRecordsCollector(pipelineName);
  await forEachStreamRecord(
    kinesis,
    streamName,
    (_shardId, record) =>
      collector.add(record.Data, record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()),
    tips,
  );
  return collector.collected();
}

function parseEnvelope(data: Uint8Array | null | undefined): ReturnType<typeof readEnvelope> {
  try {
    return readEnvelope(JSON.parse(Buffer.from(data ?? []).toString('utf8')));
  } catch {
    return 'not JSON';
  }
}

/**
 * Each shard's last record as the caught-up mapping knows it: the last one it read, or (a resumed
 * run that read nothing new) its checkpoint. Reading the stream again to find them took ~10 s at
 * 20,000 records on kinesis-mock. A shard with neither holds nothing.
 */
export function consumedTips(runtime: Pick<PipelineRuntime, 'esm'>): Record<string, string> {
  const tips: Record<string, string> = {};
  for (const [shardId, shard] of Object.entries(runtime.esm?.progress()[0]?.shards ?? {})) {
    const tip = shard.lastRead ?? shard.checkpoint;
    if (tip !== undefined) tips[shardId] = tip;
  }
  return tips;
}

/**
 * `--keep-running` after the run caught up: notes the stream's tips, keeps everything running
 * until Ctrl-C, then waits until the mapping has consumed what others wrote meanwhile and returns
 * those records for the reconciliation.
 */
export async function keepRunning(options: {
  readonly stream: WrittenByOthers;
  readonly pipelineName: string;
  readonly runtime: PipelineRuntime;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
  /** Called at the Ctrl-C (or SIGTERM), before catching up on what was written meanwhile. */
  readonly onInterrupt?: () => void;
}): Promise<RecordsWrittenByOthers> {
  const { stream, log } = options;
  // Taken before saying "caught up", so nothing written in answer to that line comes before them.
  const positions = await stream.consumedPositions(options.runtime);
  log(
    'caught up; --keep-running: the runtime stays up (produce more with `tributary produce`), Ctrl-C ends it',
  );
  const signal = await untilInterrupted();
  options.onInterrupt?.();
  log(`${signal}: consuming what was written meanwhile, then the final flush and the reconciliation`);
  await waitUntilCaughtUp({ ...options, since: Date.now() });
  const written = await stream.recordsWrittenSince(positions, options.pipelineName);
  log(
    `${written.records.length} records written by others while it kept running` +
      (written.unreadable > 0 ? ` (and ${written.unreadable} that are not envelopes of this pipeline)` : ''),
  );
  return written;
}
