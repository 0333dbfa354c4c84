import type { SlidingState } from './state.js';
import type { StrategyContext, WindowStrategy } from './strategy.js';

export function slidingStrategy(
  timeDifference: number,
  grace: number,
  context: StrategyContext,
): WindowStrategy<SlidingState> {
  void timeDifference;
  void grace;
  void context;
  throw new Error('sliding windows: not implemented yet');
}
