import { StateCorruptError } from '../errors.js';
import type { EngineState, KeySessions, SlidingEntry, TimePane } from './state.js';
import { sameWindow } from './state-fit.js';

/**
 * Moving state between partitions by key: what a stream needs when its shards split or merge and
 * the keys of a parent shard continue on its children. Both functions build new plain states (the
 * engine attaches its indexes to a state object the first time it sees it) and keep the given ones
 * unchanged.
 */

/** The state of the keys `belongs` accepts (`taken`) and of the others (`kept`), each at the same stream time. */
export function partitionState(
  state: EngineState,
  belongs: (key: string) => boolean,
): { readonly taken: EngineState; readonly kept: EngineState } {
  switch (state.kind) {
    case 'time': {
      const taken: TimePane[] = [];
      const kept: TimePane[] = [];
      for (const pane of state.panes) {
        const [yes, no] = splitPane(pane, belongs);
        if (yes.keys.length > 0) taken.push(yes);
        if (no.keys.length > 0) kept.push(no);
      }
      return { taken: { ...state, panes: taken }, kept: { ...state, panes: kept } };
    }
    case 'session': {
      const [taken, kept] = splitDictionary(state.sessions, belongs);
      return { taken: { ...state, sessions: taken }, kept: { ...state, sessions: kept } };
    }
    case 'sliding': {
      const [taken, kept] = splitDictionary(state.windows, belongs);
      return { taken: { ...state, windows: taken }, kept: { ...state, windows: kept } };
    }
  }
}

/**
 * One state holding the keys of both (their key sets must be disjoint, as two shards' are). Both
 * must be at the same stream time (or one without any): advance the slower one first with the
 * engine's `advanceTo` and keep the windows that closes. The engines count every window their
 * stream time has passed as emitted, so a merge that moved a state's stream time forward would
 * lose those windows without a word.
 */
export function mergeStates(a: EngineState, b: EngineState): EngineState {
  if (a.kind !== b.kind || !sameWindow(a.window, b.window)) {
    throw new StateCorruptError(
      `cannot merge states of windows ${JSON.stringify(a.window)} and ${JSON.stringify(b.window)}`,
    );
  }
  if (a.aggregations.join('\u0000') !== b.aggregations.join('\u0000')) {
    throw new StateCorruptError(
      `cannot merge states of aggregations ${JSON.stringify(a.aggregations)} and ${JSON.stringify(b.aggregations)}`,
    );
  }
  if (a.streamTime !== null && b.streamTime !== null && a.streamTime !== b.streamTime) {
    throw new StateCorruptError(
      `cannot merge states at stream times ${a.streamTime} and ${b.streamTime}: advance the earlier one first`,
    );
  }
  const streamTime = a.streamTime ?? b.streamTime;
  if (a.kind === 'time' && b.kind === 'time') {
    const byStart = new Map<number, TimePane>();
    for (const pane of [...a.panes, ...b.panes]) {
      const same = byStart.get(pane.start);
      const held = new Set(same?.keys);
      const both = pane.keys.find((key) => held.has(key));
      if (both !== undefined) {
        throw new StateCorruptError(`cannot merge states that both hold key ${JSON.stringify(both)}`);
      }
      byStart.set(
        pane.start,
        same === undefined
          ? { start: pane.start, keys: [...pane.keys], accumulators: structuredClone(pane.accumulators) }
          : {
              start: pane.start,
              keys: [...same.keys, ...pane.keys],
              accumulators: [...same.accumulators, ...structuredClone(pane.accumulators)],
            },
      );
    }
    const panes = [...byStart.values()].sort((x, y) => x.start - y.start);
    return { ...a, streamTime, panes };
  }
  if (a.kind === 'session' && b.kind === 'session') {
    return { ...a, streamTime, sessions: mergeDictionaries(a.sessions, b.sessions) };
  }
  if (a.kind === 'sliding' && b.kind === 'sliding') {
    return { ...a, streamTime, windows: mergeDictionaries(a.windows, b.windows) };
  }
  throw new StateCorruptError(`cannot merge a ${a.kind} state with a ${b.kind} state`);
}

/** A pane's keys and their accumulator slots (`width` each, end to end), split by key. */
function splitPane(pane: TimePane, belongs: (key: string) => boolean): [TimePane, TimePane] {
  const width = pane.keys.length === 0 ? 0 : pane.accumulators.length / pane.keys.length;
  const yes: TimePane = { start: pane.start, keys: [], accumulators: [] };
  const no: TimePane = { start: pane.start, keys: [], accumulators: [] };
  pane.keys.forEach((key, i) => {
    const side = belongs(key) ? yes : no;
    side.keys.push(key);
    side.accumulators.push(...structuredClone(pane.accumulators.slice(i * width, (i + 1) * width)));
  });
  return [yes, no];
}

type Dictionary<V> = Record<string, V>;

/** The engine's per-key dictionaries have no prototype (keys such as `__proto__` are plain keys). */
function dictionary<V>(): Dictionary<V> {
  return Object.create(null) as Dictionary<V>;
}

function splitDictionary<V extends KeySessions | SlidingEntry[]>(
  entries: Dictionary<V>,
  belongs: (key: string) => boolean,
): [Dictionary<V>, Dictionary<V>] {
  const yes = dictionary<V>();
  const no = dictionary<V>();
  for (const key of Object.keys(entries)) {
    (belongs(key) ? yes : no)[key] = structuredClone(entries[key] as V);
  }
  return [yes, no];
}

function mergeDictionaries<V extends KeySessions | SlidingEntry[]>(
  a: Dictionary<V>,
  b: Dictionary<V>,
): Dictionary<V> {
  const merged = dictionary<V>();
  for (const [key, value] of [...Object.entries(a), ...Object.entries(b)]) {
    if (key in merged)
      throw new StateCorruptError(`cannot merge states that both hold key ${JSON.stringify(key)}`);
    merged[key] = structuredClone(value);
  }
  return merged;
}
