import type { WindowSpec } from '../types.js';
import type { EngineState } from './state.js';

/**
 * How a state relates to the window and aggregations an engine computes (a pipeline definition):
 * built for them (`same`); built for others but holding no window (`drained`: nothing in it was
 * shaped by them but stream time, so it continues under the new ones); or built for others and
 * still holding windows (`refused`, with the reason).
 */
export type StateFit = 'same' | 'drained' | { readonly refused: string };

/** The definition a state must fit: the window spec, and the aggregations' signature. */
export interface StateDefinition {
  readonly window: WindowSpec;
  /** Each name with its kind ("trips:count", "zones:distinct"), in accumulator order. */
  readonly aggregations: readonly string[];
}

/**
 * Whether `state` continues under `definition`. Used by every engine on every state it is given,
 * and by the deploy's checkpoint check with the definition being deployed; `judge` names which
 * in the reason.
 */
export function stateFit(state: EngineState, definition: StateDefinition, judge = 'this engine'): StateFit {
  // A state's kind follows its window type; one that does not is not this window's state.
  const otherWindow =
    !sameWindow(state.window, definition.window) || state.kind !== kindOf(definition.window);
  const otherAggregations = !sameAggregations(state.aggregations, definition.aggregations);
  if (!otherWindow && !otherAggregations) return 'same';
  if (holdsNoWindows(state)) return 'drained';
  const drain = 'a state continues under another definition only once it holds no windows (drained)';
  return {
    refused: otherWindow
      ? `state was built for window ${JSON.stringify(state.window)}, ${judge} uses ${JSON.stringify(definition.window)}; ${drain}`
      : `state holds aggregations ${JSON.stringify(state.aggregations)}, ${judge} computes ${JSON.stringify(definition.aggregations)}; ${drain}`,
  };
}

// Both sides come out of the window spec schema (engine options, decoded states and the
// definitions a deploy derives from them), so their fields are in the same order and the texts
// compare. The type is part of the spec: a tumbling state never passes for a session one.
export function sameWindow(a: WindowSpec, b: WindowSpec): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function kindOf(window: WindowSpec): EngineState['kind'] {
  return window.type === 'tumbling' || window.type === 'hopping' ? 'time' : window.type;
}

/**
 * Whether two aggregation signatures are the same. An entry is `name:kind`; a checkpoint written
 * before every kind was recorded (version 4 states whose aggregations were not all numeric) has
 * bare names, and matches any kind under the same name, as it did then.
 */
export function sameAggregations(stored: readonly string[], current: readonly string[]): boolean {
  return (
    stored.length === current.length &&
    stored.every((entry, i) => {
      const other = current[i] as string;
      return entry === other || (!entry.includes(':') && other.startsWith(`${entry}:`));
    })
  );
}

/** Whether a state has no window left to emit (any kind: it may be another engine's). */
function holdsNoWindows(state: EngineState): boolean {
  switch (state.kind) {
    case 'time':
      return state.panes.length === 0;
    case 'session':
      return Object.keys(state.sessions).length === 0;
    case 'sliding': {
      // Closed windows stay for lookups (3 x timeDifference) and leave only as later records come:
      // a state whose every window is closed under its own spec has emitted them all.
      if (state.window.type !== 'sliding' || state.streamTime === null)
        return Object.keys(state.windows).length === 0;
      const closeTime = state.streamTime - state.window.graceMs;
      const td = state.window.timeDifferenceMs;
      return Object.values(state.windows).every((entries) =>
        entries.every(([start]) => start + td < closeTime),
      );
    }
  }
}
