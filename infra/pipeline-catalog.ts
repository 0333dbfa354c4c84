import type { WindowSpec } from '../functions/core/types.js';
import { getPipeline, UnknownPipelineError } from '../functions/pipelines/index.js';
import { ContextError } from './context.js';

/** What the infrastructure needs to know of a pipeline definition. */
export interface PipelineInfo {
  readonly name: string;
  readonly window: WindowSpec;
}

/**
 * Resolves the pipelines named in context against the registry in `functions/pipelines/` (one
 * definition drives everything). A name the registry does not know fails synthesis.
 */
export function resolvePipelines(names: readonly string[]): PipelineInfo[] {
  return names.map((name) => {
    try {
      const { pipeline } = getPipeline(name);
      return { name: pipeline.name, window: pipeline.window };
    } catch (error: unknown) {
      if (error instanceof UnknownPipelineError) throw new ContextError(`-c pipelines: ${error.message}`);
      throw error;
    }
  });
}
