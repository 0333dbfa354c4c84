import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withLock } from '../../services/lock.js';
import { projectRoot, stateDir } from '../../tools/state-dir.js';

/** What `cdk synth` reads: a change in any of these makes cdk.out stale. */
export const SYNTH_SOURCES: readonly string[] = [
  'infra',
  'functions',
  'cdk.json',
  'package.json',
  'package-lock.json',
];

/** Options of {@link ensureSynth}. */
export interface EnsureSynthOptions {
  /** @default the repository root */
  readonly root?: string;
  /** The cloud assembly folder. @default `<root>/cdk.out` */
  readonly outDir?: string;
  /** Files and folders (relative to root) whose changes need a new synth. @default {@link SYNTH_SOURCES} */
  readonly sources?: readonly string[];
  /** Synthesize even when cdk.out looks current. @default false */
  readonly force?: boolean;
  /** Progress lines ("synthesizing: ..."); cdk's own output goes to stderr. @default stderr */
  readonly log?: (line: string) => void;
}

/** What {@link ensureSynth} did. */
export interface SynthOutcome {
  readonly synthesized: boolean;
  /** Why it synthesized (or why not): "cdk.out missing", "infra/app.ts is newer than cdk.out", "up to date". */
  readonly reason: string;
  readonly durationMs: number;
}

/** `cdk synth` failed; the message carries its exit code and the end of its output. */
export class SynthError extends Error {
  override readonly name = 'SynthError';
}

/** The newest file under `path` (a file or a folder, node_modules and dot folders skipped). */
function newestFile(path: string): { path: string; mtimeMs: number } | undefined {
  if (!existsSync(path)) return undefined;
  const stat = statSync(path);
  if (!stat.isDirectory()) return { path, mtimeMs: stat.mtimeMs };
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const found = newestFile(join(path, entry.name));
    if (found && (!newest || found.mtimeMs > newest.mtimeMs)) newest = found;
  }
  return newest;
}

/**
 * Why cdk.out must be synthesized again, or undefined when it is current: its manifest is missing,
 * or a source file is newer than the manifest.
 */
export function staleReason(root: string, outDir: string, sources: readonly string[]): string | undefined {
  const manifest = join(outDir, 'manifest.json');
  if (!existsSync(manifest)) return `${relative(root, manifest) || manifest} missing`;
  const builtAt = statSync(manifest).mtimeMs;
  for (const source of sources) {
    const newest = newestFile(join(root, source));
    if (newest && newest.mtimeMs > builtAt) return `${relative(root, newest.path)} is newer than cdk.out`;
  }
  return undefined;
}

/**
 * Synthesizes the CDK app (`cdk synth --quiet`, the CLI pinned in package.json) when cdk.out is
 * missing or older than the sources, and only then. A lock in the state folder keeps two callers
 * (two test files, a test and the CLI) from writing cdk.out at once; the check is repeated inside
 * the lock, so the second caller finds the first one's result and skips.
 */
export async function ensureSynth(options: EnsureSynthOptions = {}): Promise<SynthOutcome> {
  const root = options.root ?? projectRoot;
  const outDir = options.outDir ?? join(root, 'cdk.out');
  const sources = options.sources ?? SYNTH_SOURCES;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  if (!options.force && staleReason(root, outDir, sources) === undefined) {
    return { synthesized: false, reason: 'up to date', durationMs: Date.now() - started };
  }
  return withLock(join(stateDir(), 'synth.lock'), async () => {
    const reason = options.force ? 'forced' : staleReason(root, outDir, sources);
    if (reason === undefined) {
      return { synthesized: false, reason: 'up to date', durationMs: Date.now() - started };
    }
    log(`synthesizing the CDK app (${reason}) ...`);
    await synthWaitingForOthers(root, outDir, log);
    const durationMs = Date.now() - started;
    log(`synthesized in ${(durationMs / 1000).toFixed(1)} s`);
    return { synthesized: true, reason, durationMs };
  });
}

/** How long to wait for another cdk process (not using our lock) that holds cdk.out. */
const OTHER_SYNTH_WAIT_MS = 180_000;

/**
 * The cdk CLI refuses to synthesize while another cdk process writes the same folder (its own
 * lock in cdk.out): wait for that one and try again, rather than fail.
 */
async function synthWaitingForOthers(root: string, outDir: string, log: (line: string) => void) {
  const deadline = Date.now() + OTHER_SYNTH_WAIT_MS;
  for (;;) {
    try {
      return await runCdkSynth(root, outDir);
    } catch (error) {
      const busy = error instanceof SynthError && /currently synthing/.test(error.message);
      if (!busy || Date.now() > deadline) throw error;
      log('another cdk process is synthesizing into cdk.out; waiting for it');
      await sleep(2_000);
    }
  }
}

function runCdkSynth(root: string, outDir: string): Promise<void> {
  const cdk = join(root, 'node_modules', '.bin', 'cdk');
  if (!existsSync(cdk)) {
    return Promise.reject(new SynthError(`${cdk} not found: run \`npm install\` first`));
  }
  return new Promise((resolve, reject) => {
    // stdout too goes to stderr: callers such as `tributary invoke` keep stdout for their JSON.
    const child = spawn(cdk, ['synth', '--quiet', '--output', outDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail = '';
    const keep = (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(new SynthError(`cannot run ${cdk}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new SynthError(`cdk synth failed (${signal ?? `exit code ${code}`}); last output:\n${tail.trim()}`),
        );
    });
  });
}
