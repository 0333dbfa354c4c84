import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createTributaryApp, type TributaryApp } from '../../infra/tributary-app.js';

/**
 * The three examples, which these tests check resource by resource: `new App()` in a test does not
 * read cdk.json, so tests pass them. Fixed rather than read from cdk.json, so a pipeline of one's
 * own listed there does not change what they expect; `synth-cli.test.ts` synthesizes cdk.json as
 * it is (cdk-nag and cfn-lint over every pipeline in it).
 */
export const DEFAULT_PIPELINES = 'taxi-rides,web-access-logs,click-sessions';

/** Synthesis bundles eight functions with esbuild (15-60 s on a loaded machine): give `beforeAll` this long. */
export const SYNTH_TIMEOUT_MS = 300_000;

/** A synthesized app and its stack's template. */
export interface SynthesizedApp extends TributaryApp {
  readonly template: Template;
  readonly outdir: string;
}

/**
 * Builds and synthesizes the app once (bundling all functions is the slow part): call it in a
 * `beforeAll`, with context as `-c` would give it.
 */
export async function synthesize(context: Record<string, unknown> = {}, nag = true): Promise<SynthesizedApp> {
  const outdir = mkdtempSync(join(tmpdir(), 'tributary-infra-'));
  const built = await createTributaryApp({
    context: { pipelines: DEFAULT_PIPELINES, ...context },
    outdir,
    nag,
  });
  const template = Template.fromStack(built.stack);
  return { ...built, template, outdir };
}

/** Removes a synthesized assembly (each holds ~35 MB of bundles and source maps). */
export function removeAssembly(outdir: string | undefined): void {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
}
