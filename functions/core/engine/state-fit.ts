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
  /** Names, with the kind of fused numeric built-ins ("trips:count"), in accumulator order. */
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
  const otherAggregations = state.aggregations.join('\u0000') !== definition.aggregations.join('\u0000');
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
function sameWindow(a: WindowSpec, b: WindowSpec): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function kindOf(window: WindowSpec): EngineState['kind'] {
  return window.type === 'tumbling' || window.type === 'hopping' ? 'time' : window.type;
}

/** Whether a state has no window left, open or kept for lookups (any kind: it may be another engine's). */
function holdsNoWindows(state: EngineState): boolean {
  switch (state.kind) {
    case 'time':
      return state.panes.length === 0;
    case 'session':
      return Object.keys(state.sessions).length === 0;
    case 'sliding':
      return Object.keys(state.windows).length === 0;
  }
}
