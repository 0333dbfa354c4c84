import type { WindowEngine } from '../functions/core/engine/window-engine.js';
import type { EmitMode, WindowSpec } from '../functions/core/types.js';
import { getPipeline, UnknownPipelineError } from '../functions/pipelines/index.js';
import { ContextError } from './context.js';

/** What the infrastructure needs to know of a pipeline definition. */
export interface PipelineInfo {
  readonly name: string;
  readonly window: WindowSpec;
  /**
   * What the aggregator's checkpoints must fit: the window, the aggregations (each name with its
   * kind) and the engine's state layout version. A deploy that changes
   * one of them checks the stored checkpoints first (constructs/state-checks.ts).
   */
  readonly checkpoint: {
    readonly window: WindowSpec;
    readonly aggregations: readonly string[];
    readonly stateVersion: number;
  };
}

/**
 * Resolves the pipelines named in context against the registry in `functions/pipelines/` (one
 * definition drives everything). A name the registry does not know fails synthesis.
 */
export function resolvePipelines(names: readonly string[]): PipelineInfo[] {
  return names.map((name) => {
    try {
      return deployable(getPipeline(name));
    } catch (error: unknown) {
      if (error instanceof UnknownPipelineError) throw new ContextError(`-c pipelines: ${error.message}`);
      throw error;
    }
  });
}

/**
 * What the stack deploys of a pipeline, refusing one it cannot deliver faithfully: `emit: 'updates'`
 * sends a window's every intermediate value (and retractions) under the window's one result id,
 * while the warehouse and its queries keep one row per id. Updates are for `tributary window`.
 */
export function deployable(pipeline: {
  readonly name: string;
  readonly window: WindowSpec;
  readonly emit: EmitMode;
  createEngine(): WindowEngine;
}): PipelineInfo {
  if (pipeline.emit !== 'final') {
    throw new ContextError(
      `-c pipelines: ${pipeline.name} emits "${pipeline.emit}"; the deployed aggregator delivers final ` +
        `results only (the warehouse keeps one row per result id), so define it with emit: 'final'`,
    );
  }
  const state = pipeline.createEngine().initialState();
  return {
    name: pipeline.name,
    window: pipeline.window,
    checkpoint: { window: state.window, aggregations: state.aggregations, stateVersion: state.v },
  };
}
