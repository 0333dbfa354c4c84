import type { SessionState } from './state.js';
import type { StrategyContext, WindowStrategy } from './strategy.js';

export function sessionStrategy(
  gap: number,
  grace: number,
  context: StrategyContext,
): WindowStrategy<SessionState> {
  void gap;
  void grace;
  void context;
  throw new Error('session windows: not implemented yet');
}
