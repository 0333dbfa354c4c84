import type { WindowResult } from '../types.js';
import type { Aggregates } from './aggregates.js';
import type { IdPositions } from './id-positions.js';
import type { KeyTable } from './key-table.js';
import type { Accumulators, TimePane } from './state.js';

/** A pane with its lookups: the key id at each position, and the position of each key id. */
export interface IndexedPane {
  readonly pane: TimePane;
  readonly ids: number[];
  readonly positions: IdPositions;
}

/**
 * Turns a window's panes into its results. Keys are merged by id into one scratch array that
 * lives as long as the state's runtime, so closing a window allocates little besides its results.
 */
export class PaneMerger {
  /** By key id: `width` slots each, valid for the ids marked with the current mark. */
  private readonly merged: Accumulators = [];
  private marks = new Int32Array(0);
  /** By key id: where its accumulators start in the array the window is read from. */
  private offsets = new Int32Array(0);
  private mark = 0;
  private readonly one: Accumulators;

  constructor(
    private readonly aggregates: Aggregates,
    private readonly keys: KeyTable,
  ) {
    this.one = aggregates.init();
  }

  /** Emits the window `[start, end)` made of `panes[first..last)`, in ascending key order. */
  emitWindow(
    panes: readonly IndexedPane[],
    first: number,
    last: number,
    start: number,
    end: number,
    results: WindowResult[],
  ): void {
    this.fit();
    const { aggregates, marks, offsets, merged } = this;
    const width = aggregates.width;
    const mark = ++this.mark;
    let ids: number[];
    let source: Accumulators;
    if (last - first === 1) {
      // A window of one pane (every tumbling window): its accumulators are the window's.
      const { pane, ids: paneIds } = panes[first] as IndexedPane;
      for (let position = 0; position < paneIds.length; position++) {
        const id = paneIds[position] as number;
        marks[id] = mark;
        offsets[id] = position * width;
      }
      ids = paneIds;
      source = pane.accumulators;
    } else {
      ids = [];
      source = merged;
      for (let p = first; p < last; p++) {
        const { pane, ids: paneIds } = panes[p] as IndexedPane;
        for (let position = 0; position < paneIds.length; position++) {
          const id = paneIds[position] as number;
          const at = id * width;
          if (marks[id] !== mark) {
            marks[id] = mark;
            offsets[id] = at;
            ids.push(id);
            aggregates.reset(merged, at);
          }
          aggregates.merge(merged, at, pane.accumulators, position * width);
        }
      }
    }
    for (const id of this.keys.inKeyOrder(ids, marks, mark)) {
      results.push({
        key: this.keys.keyOf(id),
        windowStart: start,
        windowEnd: end,
        values: aggregates.result(source, offsets[id] as number),
      });
    }
  }

  /** The values of key `id` in the window made of `panes[first..last)` (updates mode). */
  keyValues(panes: readonly IndexedPane[], first: number, last: number, id: number): Record<string, unknown> {
    const { aggregates, one } = this;
    aggregates.reset(one, 0);
    for (let p = first; p < last; p++) {
      const { pane, positions } = panes[p] as IndexedPane;
      const position = positions.get(id);
      if (position >= 0) aggregates.merge(one, 0, pane.accumulators, position * aggregates.width);
    }
    return aggregates.result(one, 0);
  }

  /** Makes room for every id the key table has handed out. */
  private fit(): void {
    const n = this.keys.size;
    if (this.marks.length < n) {
      const capacity = Math.max(n, 2 * this.marks.length);
      // Fresh marks are 0, never a current mark (marks start at 1).
      this.marks = new Int32Array(capacity);
      this.offsets = new Int32Array(capacity);
    }
    while (this.merged.length < n * this.aggregates.width) this.aggregates.append(this.merged);
  }
}
