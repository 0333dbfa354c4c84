import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { projectRoot } from '../local/tools/state-dir.js';
import { ContextError } from './context.js';

/** What the infrastructure needs to know of a pipeline definition. */
export interface PipelineInfo {
  readonly name: string;
}

// An entry is a pipeline ({ name }) or an example wrapping one ({ pipeline: { name } }).
const entrySchema = z
  .union([z.object({ name: z.string() }), z.object({ pipeline: z.object({ name: z.string() }) })])
  .transform((entry) => ('name' in entry ? entry.name : entry.pipeline.name));
const registrySchema = z.object({
  pipelines: z.union([z.array(entrySchema), z.record(z.string(), entrySchema)]),
});

const REGISTRY = join(projectRoot, 'functions', 'pipelines', 'index.ts');

/**
 * Resolves the pipelines named in context against the registry in `functions/pipelines/` (one
 * definition drives everything). While that registry does not exist yet, the names from context are
 * taken as they are. A name the registry does not know fails synthesis.
 */
export async function resolvePipelines(names: readonly string[]): Promise<PipelineInfo[]> {
  if (!existsSync(REGISTRY)) return names.map((name) => ({ name }));
  // Imported by path (not statically) so the app still type-checks and synthesizes before the
  // registry lands; the module's shape is validated instead of trusted.
  const parsed = registrySchema.safeParse(await import(pathToFileURL(REGISTRY).href));
  if (!parsed.success) {
    throw new ContextError(
      `functions/pipelines/index.ts must export \`pipelines\` (array or record of pipelines): ${parsed.error.message}`,
    );
  }
  const known = Object.values(parsed.data.pipelines);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length) {
    throw new ContextError(
      `-c pipelines: unknown pipeline ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${known.join(', ')})`,
    );
  }
  return names.map((name) => ({ name }));
}
