import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createTributaryApp, type TributaryApp } from '../../infra/tributary-app.js';

/** The pipelines of cdk.json: `new App()` in a test does not read cdk.json, so tests pass them. */
export const DEFAULT_PIPELINES = 'taxi-rides,web-access-logs,click-sessions';

/** Synthesis bundles seven functions with esbuild (15-60 s on a loaded machine): give `beforeAll` this long. */
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
