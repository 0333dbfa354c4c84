import { STATE_VERSION } from './state.js';

/** A decoded checkpoint before its shape is checked: plain JSON. */
type RawState = Record<string, unknown>;

/**
 * One step per layout change: from the version it is keyed by to the next one. A deploy that
 * changes the layout then continues from the checkpoints the previous version wrote, instead of
 * refusing them (which would fail every batch until it is dead-lettered). Versions older than the
 * first step are still refused.
 */
const STEPS: Readonly<Record<number, (state: RawState) => RawState>> = {
  // 3 -> 4: a key's sessions went from one array per session to one flat array per key. Time and
  // sliding states did not change.
  3: (state) => {
    if (state.kind !== 'session' || typeof state.sessions !== 'object' || state.sessions === null) {
      return { ...state, v: 4 };
    }
    const sessions: Record<string, unknown> = Object.create(null);
    for (const [key, list] of Object.entries(state.sessions)) {
      // Left as it is when it is not a list of sessions: the shape check then says what is wrong.
      sessions[key] = Array.isArray(list) && list.every(Array.isArray) ? list.flat() : list;
    }
    return { ...state, v: 4, sessions };
  },
};

/** The checkpoint brought to STATE_VERSION, or undefined when no chain of steps leads there. */
export function migrateState(state: RawState, version: unknown): RawState | undefined {
  if (typeof version !== 'number') return undefined;
  let current = state;
  for (let v = version; v < STATE_VERSION; v += 1) {
    const step = STEPS[v];
    if (!step) return undefined;
    current = step(current);
  }
  return current.v === STATE_VERSION ? current : undefined;
}
