import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../../services/run.js';
import { projectRoot, stateDir } from '../../tools/state-dir.js';

/** What the synthesized app depends on: a change in any of these files makes cdk.out stale. */
const SOURCES = ['infra', 'functions', 'cdk.json', 'package-lock.json', 'tsconfig.json'];
const HASH_FILE = '.tributary-source-hash';

function* files(path: string): Generator<string> {
  if (!existsSync(path)) return;
  if (statSync(path).isFile()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    yield* files(join(path, entry.name));
  }
}

/** SHA-256 over the paths and contents of the app's sources (infra/, functions/, cdk.json, lock). */
export function sourceHash(root = projectRoot): string {
  const hash = createHash('sha256');
  for (const source of SOURCES) {
    for (const file of files(join(root, source))) {
      hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
    }
  }
  return hash.digest('hex');
}

/** What {@link ensureSynthesized} did. */
export interface SynthOutcome {
  readonly dir: string;
  readonly synthesized: boolean;
  readonly ms: number;
}

/**
 * Where the app of a stage and transport is synthesized: `cdk.out` for the default one,
 * `.local/cdk.out[-<stage>][-msk]` for the others.
 */
export function assemblyDirOf(
  options: { readonly root?: string; readonly stage?: string; readonly transport?: 'kinesis' | 'msk' } = {},
): string {
  const suffix = [options.stage, options.transport === 'msk' ? 'msk' : undefined].filter(Boolean).join('-');
  return suffix ? join(stateDir(), `cdk.out-${suffix}`) : join(options.root ?? projectRoot, 'cdk.out');
}

/**
 * Synthesizes the CDK app into `cdk.out` with the pinned CLI (bundling every function with the
 * local esbuild), unless cdk.out was synthesized from the same sources: the hash of the sources is
 * stored next to the assembly, so an edit anywhere in infra/ or functions/ re-synthesizes.
 */
export async function ensureSynthesized(
  options: {
    readonly root?: string;
    readonly force?: boolean;
    /**
     * Another stage than cdk.json's (e.g. the e2e tests' `e2e`): its own resource names, so runs
     * do not share streams and buckets with a developer's `dev` runs. Synthesized into
     * `.local/cdk.out-<stage>`.
     */
    readonly stage?: string;
    /** `msk`: the MSK transport (`-c transport=msk`), synthesized into `.local/cdk.out[-<stage>]-msk`. */
    readonly transport?: 'kinesis' | 'msk';
    readonly log?: (line: string) => void;
  } = {},
): Promise<SynthOutcome> {
  const root = options.root ?? projectRoot;
  const msk = options.transport === 'msk';
  const dir = assemblyDirOf(options);
  const hashFile = join(dir, HASH_FILE);
  const hash = `${sourceHash(root)}:${options.stage ?? ''}${msk ? ':msk' : ''}`;
  const started = Date.now();
  const current = existsSync(join(dir, 'manifest.json')) && existsSync(hashFile);
  if (!options.force && current && readFileSync(hashFile, 'utf8').trim() === hash) {
    return { dir, synthesized: false, ms: Date.now() - started };
  }
  const why = options.force
    ? 'asked to'
    : current
      ? `infra/ or functions/ changed since ${dir} was synthesized`
      : `${dir} has no synthesized app yet`;
  options.log?.(`synthesizing the CDK app (${why})...`);
  const extra = [
    ...(options.stage ? ['-c', `stage=${options.stage}`] : []),
    ...(msk ? ['-c', 'transport=msk'] : []),
    // Not the default cdk.out: the CLI writes elsewhere only when told.
    ...(dir !== join(root, 'cdk.out') ? ['-o', dir] : []),
  ];
  // The CDK CLI refuses to synth while another of its processes synths (another helper, a
  // parallel test file): wait and try again rather than fail the run.
  for (let attempt = 1; ; attempt += 1) {
    try {
      await run(join(root, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', ...extra], {
        cwd: root,
        timeoutMs: 300_000,
      });
      break;
    } catch (error) {
      if (attempt >= 12 || !/Another CLI/.test((error as Error).message)) throw error;
      options.log?.('another CDK CLI is synthesizing; waiting 5 s...');
      await sleep(5_000);
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(hashFile, `${hash}\n`);
  return { dir, synthesized: true, ms: Date.now() - started };
}
