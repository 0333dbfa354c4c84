import type { AggregationSpec } from '../../functions/core/pipeline.js';
import type { WindowSpec } from '../../functions/core/types.js';
import { computeValues, type HeldRecord } from './reference-aggregates.js';
import { computeSlidingGroundTruth } from './sliding-reference.js';

/**
 * An independent, deliberately naive reference model of Tributary's windows (Kafka Streams'
 * semantics), to check the engine and the warehouse against. It imports nothing of the engine:
 * windows are found by enumerating them, hold the full list of their records, and are
 * aggregated from scratch when they close. Slow and simple on purpose.
 */

/** One input record, in arrival order, with the partition (shard) it was read from. */
export interface ReferenceRecord<E> {
  readonly partition: string;
  readonly key: string;
  readonly ts: number;
  readonly value: E;
}

/** A final window result the engine should produce. */
export interface ExpectedWindow {
  readonly partition: string;
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A record that missed a window (one per window missed). */
export interface ExpectedLate<E> {
  readonly partition: string;
  readonly key: string;
  readonly ts: number;
  readonly value: E;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly streamTime: number;
}

/** A record the model leaves out, and whose windows it cannot say (see sliding-reference.ts). */
export interface UncheckedRecord {
  readonly partition: string;
  readonly key: string;
  readonly ts: number;
  /** Stream time when it arrived: with ts and key, what tells its late lines from another record's. */
  readonly streamTime: number;
}

/** What the reference model expects. */
export interface GroundTruth<E> {
  /** Final results in emission order (per partition, windows closed by the same record by end time). */
  readonly results: ExpectedWindow[];
  readonly late: ExpectedLate<E>[];
  /** Records left out (sliding windows only): results and late records touching them are not comparable. */
  readonly unchecked: readonly UncheckedRecord[];
  /** Final stream time per partition. */
  readonly streamTime: Readonly<Record<string, number>>;
}

/** What the model computes: a pipeline's window and aggregations. */
export interface ReferenceSpec<E> {
  readonly window: WindowSpec;
  readonly aggregations: Readonly<Record<string, AggregationSpec<E>>>;
}

export interface GroundTruthOptions {
  /** Close every open window at end of input (as `--flush` and a drained stream). @default false */
  readonly flush?: boolean;
  /**
   * What a record within `gap` of a session whose final result was already emitted does.
   * `merge` is Kafka Streams' KStreamSessionWindowAggregate: closed sessions stay in the store,
   * the record merges with them and the merged session is emitted again later (two results for
   * overlapping sessions). `forget`: a closed session is gone; the record starts a new session.
   * @default 'merge'
   */
  readonly closedSessions?: 'merge' | 'forget';
}

interface OpenWindow<E> {
  readonly key: string;
  start: number;
  end: number;
  readonly records: HeldRecord<E>[];
  emitted: boolean;
}

/** Computes the expected final results and late records of `records` (arrival order). */
export function computeGroundTruth<E>(
  records: Iterable<ReferenceRecord<E>>,
  spec: ReferenceSpec<E>,
  options: GroundTruthOptions = {},
): GroundTruth<E> {
  if (spec.window.type === 'sliding') {
    const { timeDifferenceMs, graceMs } = spec.window;
    return computeSlidingGroundTruth(
      records,
      timeDifferenceMs,
      graceMs,
      spec.aggregations,
      options.flush ?? false,
    );
  }
  const partitions = new Map<string, PartitionModel<E>>();
  const results: ExpectedWindow[] = [];
  const late: ExpectedLate<E>[] = [];
  let seq = 0;
  for (const record of records) {
    let model = partitions.get(record.partition);
    if (model === undefined) {
      model = new PartitionModel(record.partition, spec, options, results, late);
      partitions.set(record.partition, model);
    }
    model.add(record, seq++);
  }
  const streamTime: Record<string, number> = {};
  for (const [partition, model] of partitions) {
    if (options.flush) model.emitAll();
    streamTime[partition] = model.streamTime;
  }
  return { results, late, unchecked: [], streamTime };
}

/** The windows `[start, end)` of a tumbling or hopping spec that contain `ts`, oldest first. */
export function timeWindowsOf(ts: number, sizeMs: number, advanceMs: number): Array<[number, number]> {
  const windows: Array<[number, number]> = [];
  for (
    let start = Math.floor(ts / advanceMs) * advanceMs;
    start > ts - sizeMs && start >= 0;
    start -= advanceMs
  ) {
    windows.unshift([start, start + sizeMs]);
  }
  return windows;
}

class PartitionModel<E> {
  streamTime = Number.NEGATIVE_INFINITY;
  /** Windows by key; in `merge` mode sessions stay after their result was emitted. */
  private readonly windows = new Map<string, OpenWindow<E>[]>();
  /** Smallest stream time at which some window not yet emitted closes: skips useless scans. */
  private nextClose = Number.POSITIVE_INFINITY;

  constructor(
    private readonly partition: string,
    private readonly spec: ReferenceSpec<E>,
    private readonly options: GroundTruthOptions,
    private readonly results: ExpectedWindow[],
    private readonly late: ExpectedLate<E>[],
  ) {}

  add(record: ReferenceRecord<E>, seq: number): void {
    this.streamTime = Math.max(this.streamTime, record.ts);
    const held: HeldRecord<E> = { value: record.value, ts: record.ts, seq };
    const window = this.spec.window;
    switch (window.type) {
      case 'tumbling':
      case 'hopping': {
        const advance = window.type === 'hopping' ? window.advanceMs : window.sizeMs;
        for (const [start, end] of timeWindowsOf(record.ts, window.sizeMs, advance)) {
          // Late when the window had closed on arrival: stream time >= end + grace.
          if (this.streamTime >= end + window.graceMs) this.lateFor(record, start, end);
          else this.windowOf(record.key, start, end).records.push(held);
        }
        break;
      }
      case 'session':
        this.addToSession(record, held, window.gapMs, window.graceMs);
        break;
      case 'sliding':
        throw new RangeError(
          'the reference model does not cover sliding windows (no example pipeline uses them)',
        );
    }
    if (this.streamTime >= this.nextClose) this.emitClosed();
  }

  private listOf(key: string): OpenWindow<E>[] {
    let list = this.windows.get(key);
    if (list === undefined) {
      list = [];
      this.windows.set(key, list);
    }
    return list;
  }

  private addToSession(record: ReferenceRecord<E>, held: HeldRecord<E>, gap: number, grace: number): void {
    const closeTime = this.streamTime - gap - grace;
    const forget = this.options.closedSessions === 'forget';
    const list = this.listOf(record.key);
    // Kafka Streams' findSessions(key, ts - gap, ts + gap): sessions ending at or after ts - gap
    // and starting at or before ts + gap (both inclusive).
    const reached = list.filter(
      (w) => w.end >= record.ts - gap && w.start <= record.ts + gap && !(forget && w.emitted),
    );
    const start = Math.min(record.ts, ...reached.map((w) => w.start));
    const end = Math.max(record.ts, ...reached.map((w) => w.end));
    if (end < closeTime) {
      this.lateFor(record, start, end);
      return;
    }
    const merged: OpenWindow<E> = { key: record.key, start, end, records: [held], emitted: false };
    for (const w of reached) {
      merged.records.push(...w.records);
      list.splice(list.indexOf(w), 1);
    }
    merged.records.sort((a, b) => a.seq - b.seq);
    list.push(merged);
    this.nextClose = Math.min(this.nextClose, this.closesAt(merged));
  }

  private windowOf(key: string, start: number, end: number): OpenWindow<E> {
    const list = this.listOf(key);
    let found = list.find((w) => w.start === start && w.end === end);
    if (found === undefined) {
      found = { key, start, end, records: [], emitted: false };
      list.push(found);
      this.nextClose = Math.min(this.nextClose, this.closesAt(found));
    }
    return found;
  }

  private lateFor(record: ReferenceRecord<E>, windowStart: number, windowEnd: number): void {
    const { partition, key, ts, value } = record;
    this.late.push({ partition, key, ts, value, windowStart, windowEnd, streamTime: this.streamTime });
  }

  /** The stream time from which the window counts as closed. */
  private closesAt(w: OpenWindow<E>): number {
    const window = this.spec.window;
    // Sessions: closed when end < streamTime - gap - grace (the same boundary as "late"); time
    // windows: when streamTime >= end + grace. Timestamps are whole milliseconds.
    if (window.type === 'session') return w.end + window.gapMs + window.graceMs + 1;
    return w.end + window.graceMs;
  }

  private emitClosed(): void {
    const closing: OpenWindow<E>[] = [];
    this.nextClose = Number.POSITIVE_INFINITY;
    const window = this.spec.window;
    // A closed session further back than this can no longer be reached by an on-time record
    // (Kafka Streams' store drops it after its retention too).
    const forget = this.options.closedSessions === 'forget';
    const unreachable = window.type === 'session' ? this.streamTime - 2 * window.gapMs - window.graceMs : 0;
    for (const [key, list] of this.windows) {
      const keep: OpenWindow<E>[] = [];
      for (const w of list) {
        const closes = !w.emitted && this.streamTime >= this.closesAt(w);
        if (closes) closing.push(w);
        else if (!w.emitted) this.nextClose = Math.min(this.nextClose, this.closesAt(w));
        const open = !w.emitted && !closes;
        // Time windows are never touched again once closed; sessions may be (see closedSessions).
        if (open || (window.type === 'session' && !forget && w.end >= unreachable)) keep.push(w);
      }
      if (keep.length === 0) this.windows.delete(key);
      else this.windows.set(key, keep);
    }
    this.emit(closing);
  }

  emitAll(): void {
    const open: OpenWindow<E>[] = [];
    for (const list of this.windows.values()) open.push(...list.filter((w) => !w.emitted));
    this.emit(open);
  }

  private emit(windows: OpenWindow<E>[]): void {
    windows.sort(
      (a, b) => a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    for (const w of windows) {
      w.emitted = true;
      this.results.push({
        partition: this.partition,
        key: w.key,
        windowStart: w.start,
        windowEnd: w.end,
        values: computeValues(this.spec.aggregations, w.records),
      });
    }
  }
}
