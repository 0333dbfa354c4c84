import type { AnyPipeline } from '../../../functions/pipelines/index.js';
import { table } from '../../tools/text-table.js';
import type { LocalClients } from './clients.js';
import type { InputRecord } from './input.js';
import type { PipelineResources } from './pipeline-resources.js';
import type { ProduceOutcome } from './producer.js';
import type { Placement, Reconciliation, reconcile } from './reconcile.js';
import type { RunFolder } from './run-folder.js';
import type { PipelineRuntime } from './runtime.js';
import { reconciliationText, topWindows } from './summary.js';
import { countLines, listObjects, readJsonLines, summarizeObjects } from './warehouse.js';

/** Wall-clock phases of a run, ms. */
export interface RunTimings {
  readonly totalMs: number;
  /** First to last PutRecords. */
  readonly produceMs: number;
  /** Last PutRecords to the consumer caught up. */
  readonly drainMs: number;
  /**
   * Last PutRecords (or, for --keep-running, the Ctrl-C that ended the wait: catching up on what
   * was written meanwhile is included) to the last aggregate written to the warehouse, final
   * flush included.
   */
  readonly lastAggregateMs: number;
  /** What lastAggregateMs counts from. */
  readonly lastAggregateAfter: 'the last event' | 'the stop';
}

/** Everything the summary shows, and its JSON form (`<run>/summary.json`). */
export interface RunSummary {
  /** The aggregates reconcile, raw/ holds every produced event, and no object has blank lines. */
  readonly ok: boolean;
  readonly reconciliation: Reconciliation;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

/** Reads the warehouse back and reconciles it; builds the summary text and JSON. */
export async function summarize(args: {
  readonly clients: LocalClients;
  readonly resources: PipelineResources;
  readonly pipeline: AnyPipeline;
  readonly input: readonly InputRecord[];
  /** Records of `input` others wrote to the stream while a --keep-running run waited (at its end). */
  readonly writtenByOthers?: number;
  readonly folder: RunFolder;
  readonly runtime: PipelineRuntime;
  readonly placement: Placement;
  readonly timings: RunTimings;
  readonly produced: ProduceOutcome;
  readonly finalFlushWindows: number;
  readonly deadLettered: number;
  readonly reconcile: typeof reconcile;
}): Promise<RunSummary> {
  const { clients, resources, pipeline } = args;
  const bucket = resources.warehouseBucket;
  const name = pipeline.name;
  const aggregates = await readJsonLines(clients.s3, bucket, `aggregates/pipeline=${name}/`);
  const late = await readJsonLines(clients.s3, bucket, `late/pipeline=${name}/`);
  const objects = (await listObjects(clients.s3, bucket, '')).filter(
    (o) => o.key.includes(`pipeline=${name}/`) || o.key.startsWith('errors/'),
  );
  const reconciliation = args.reconcile(
    pipeline,
    args.input,
    args.placement,
    aggregates.records,
    late.records,
  );
  // Firehose delivers at least once: raw/ may hold a record twice after a restart, never less.
  const raw = await countLines(clients.s3, bucket, `raw/pipeline=${name}/`);
  const rawRecords = raw.records;
  const expectedRaw = args.produced.accepted + (args.writtenByOthers ?? 0);
  const rawProblems =
    rawRecords < expectedRaw ? [`raw/: ${rawRecords} records, expected at least ${expectedRaw}`] : [];
  const blankLineProblems = (
    [
      ['aggregates/', aggregates.blankLines],
      ['late/', late.blankLines],
      ['raw/', raw.blankLines],
    ] as const
  )
    .filter(([, blank]) => blank > 0)
    .map(([prefix, blank]) => `${prefix}: ${blank} blank lines, which Athena reads as rows of NULLs`);
  const ok = reconciliation.ok && rawProblems.length === 0 && blankLineProblems.length === 0;
  const esm = args.runtime.totals();
  const eventsPerSec =
    args.timings.produceMs + args.timings.drainMs > 0
      ? (args.produced.accepted * 1000) / (args.timings.produceMs + args.timings.drainMs)
      : 0;
  const byPrefix = summarizeObjects(objects);
  const text = [
    '',
    `Run ${args.folder.dir}`,
    `  ${args.produced.accepted} records produced to ${resources.streamName} (${args.placement.count} ${args.placement.unit})` +
      (args.produced.resumedFrom > 0 ? `, resumed after input line ${args.produced.resumedFrom}` : '') +
      (args.writtenByOthers ? ` + ${args.writtenByOthers} written by others while it kept running` : '') +
      `; ${esm?.recordsProcessed ?? 0} processed, ${esm?.invocations ?? 0} invocations (${esm?.failedInvocations ?? 0} failed)`,
    `  ${args.deadLettered} dead letters in the queue; ${args.finalFlushWindows} windows closed by the final flush`,
    `  ${eventsPerSec.toFixed(1)} events/s through the pipeline; last aggregate ${(args.timings.lastAggregateMs / 1000).toFixed(1)} s after ${args.timings.lastAggregateAfter}`,
    '',
    'Top windows:',
    topWindows(reconciliation.windows),
    '',
    'Warehouse objects:',
    table(
      ['prefix', 'objects', 'bytes'],
      byPrefix.map((p) => [p.prefix, p.objects, p.bytes]),
    ),
    '',
    reconciliationText(reconciliation),
    `  raw events: ${rawRecords} in raw/, ${expectedRaw} produced${rawProblems.length > 0 ? ' (RAW INCOMPLETE)' : ''}`,
    ...blankLineProblems.map((problem) => `  BLANK LINES in ${problem}`),
  ].join('\n');
  const json = {
    run: args.folder.dir,
    pipeline: name,
    ok,
    produced: args.produced.accepted,
    resumedFrom: args.produced.resumedFrom,
    writtenByOthers: args.writtenByOthers ?? 0,
    invalidInput: reconciliation.invalidInput,
    esm: esm ?? null,
    deadLettered: args.deadLettered,
    windows: reconciliation.windows.length,
    matched: reconciliation.comparison.matched,
    missing: reconciliation.comparison.missing.length,
    extra: reconciliation.comparison.extra.length,
    differing: reconciliation.comparison.differing.length,
    aggregateLines: reconciliation.aggregateLines,
    duplicateIds: reconciliation.duplicateIds,
    late: reconciliation.late,
    expectedLate: reconciliation.expectedLate,
    duplicateLate: reconciliation.duplicateLate,
    unchecked: reconciliation.unchecked,
    finalFlushWindows: args.finalFlushWindows,
    objects: byPrefix,
    rawRecords,
    timings: args.timings,
    eventsPerSec,
    problems: [...reconciliation.problems, ...rawProblems, ...blankLineProblems],
  };
  return { ok, reconciliation, text, json };
}

export function printSummary(summary: RunSummary, out: (line: string) => void): void {
  out(summary.text);
}
