import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../../tools/state-dir.js';
import { TemplateError } from './errors.js';
import { defaultLocalContext, type LocalAwsContext } from './local-context.js';
import { StackTemplate, type TemplateResource } from './stack-template.js';

const Manifest = z.object({
  artifacts: z
    .record(
      z.string(),
      z.object({
        type: z.string(),
        properties: z
          .object({
            templateFile: z.string().optional(),
            stackName: z.string().optional(),
            directoryName: z.string().optional(),
          })
          .passthrough()
          .optional(),
      }),
    )
    .optional(),
});

/** The default cloud assembly folder, `cdk.out` at the repository root. */
export const defaultAssemblyDir = join(projectRoot, 'cdk.out');

/**
 * The synthesized CDK app: every stack of `cdk.out/manifest.json` (nested stage assemblies too),
 * resolved against one local context. This is the one reader of cdk.out the local runtime uses,
 * so every component arrives at the same local names.
 */
export class CloudAssembly {
  private constructor(
    readonly dir: string,
    readonly stacks: readonly StackTemplate[],
  ) {}

  /**
   * Reads `dir/manifest.json` and the templates it lists. Throws a {@link TemplateError} when the
   * folder has no manifest (not synthesized yet) or a template is not valid.
   */
  static load(
    dir: string = defaultAssemblyDir,
    context: LocalAwsContext = defaultLocalContext(),
  ): CloudAssembly {
    const templates = listStacks(resolve(dir)).map((e): [string, unknown] => [
      e.stackName,
      readJson(e.templatePath),
    ]);
    return CloudAssembly.build(resolve(dir), templates, context);
  }

  /** An assembly of in-memory templates (tests, fixtures): stack name -> template object. */
  static fromTemplates(
    templates: Readonly<Record<string, unknown>>,
    options: { dir?: string; context?: LocalAwsContext } = {},
  ): CloudAssembly {
    const dir = resolve(options.dir ?? defaultAssemblyDir);
    return CloudAssembly.build(dir, Object.entries(templates), options.context ?? defaultLocalContext());
  }

  private static build(dir: string, templates: [string, unknown][], context: LocalAwsContext): CloudAssembly {
    // Exports are looked up lazily: a stack may import from a stack listed after it.
    const exports = new Map<string, () => unknown>();
    const importValue = (name: string, where: string): unknown => {
      const value = exports.get(name);
      if (!value) throw new TemplateError(`${where}: no stack of ${dir} exports ${name}`);
      return value();
    };
    const stacks = templates.map(([name, t]) => new StackTemplate(name, t, context, importValue));
    for (const stack of stacks) for (const [name, value] of stack.exports()) exports.set(name, value);
    return new CloudAssembly(dir, stacks);
  }

  /** Every resource of every stack, optionally only of one type (`AWS::Lambda::Function`). */
  resources(type?: string): TemplateResource[] {
    return this.stacks.flatMap((s) => s.resources).filter((r) => type === undefined || r.type === type);
  }

  /**
   * Finds one resource by logical id, construct path (with or without the trailing `/Resource`,
   * so `Stack/Aggregator/Handler/Function` works), local physical name or ARN. Throws listing the
   * candidates when nothing or more than one resource matches.
   */
  find(query: string, type?: string): TemplateResource {
    const candidates = this.resources(type);
    const matches = candidates.filter(
      (r) =>
        r.logicalId === query ||
        r.constructPath === query ||
        r.constructPath === `${query}/Resource` ||
        r.physicalName === query ||
        r.arn === query,
    );
    if (matches.length === 1 && matches[0]) return matches[0];
    const what = type ?? 'resource';
    if (matches.length > 1) {
      throw new TemplateError(
        `${JSON.stringify(query)} matches ${matches.length} ${what}s: ${matches.map(describe).join(', ')}`,
      );
    }
    const shown = candidates.slice(0, 20).map(describe).join(', ');
    const more = candidates.length > 20 ? `, ... (${candidates.length - 20} more)` : '';
    throw new TemplateError(
      `no ${what} ${JSON.stringify(query)} in ${this.dir}; expected one of: ${shown || '(none)'}${more}`,
    );
  }
}

function describe(r: TemplateResource): string {
  return r.constructPath ?? `${r.stackName}/${r.logicalId}`;
}

interface StackEntry {
  readonly stackName: string;
  readonly templatePath: string;
}

function listStacks(dir: string): StackEntry[] {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new TemplateError(`${manifestPath} not found: synthesize the CDK app first (npm run synth)`);
  }
  const parsed = Manifest.safeParse(readJson(manifestPath));
  if (!parsed.success) {
    throw new TemplateError(
      `${manifestPath}: not a cloud assembly manifest: ${z.prettifyError(parsed.error)}`,
    );
  }
  const entries: StackEntry[] = [];
  for (const [id, artifact] of Object.entries(parsed.data.artifacts ?? {})) {
    const props = artifact.properties;
    if (artifact.type === 'aws:cloudformation:stack' && props?.templateFile) {
      entries.push({ stackName: props.stackName ?? id, templatePath: join(dir, props.templateFile) });
    } else if (artifact.type === 'cdk:cloud-assembly' && props?.directoryName) {
      entries.push(...listStacks(join(dir, props.directoryName)));
    }
  }
  return entries;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TemplateError(
      `${path}: not readable JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
