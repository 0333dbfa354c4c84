import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureSynth, staleReason } from '../../../../local/runtime/synth/ensure-synth.js';

/** A project folder with cdk.out built at `builtAt` and one source file changed at `changedAt` (s). */
function project(builtAt: number | undefined, changedAt: number): string {
  const root = mkdtempSync(join(tmpdir(), 'synth-'));
  mkdirSync(join(root, 'infra', 'stacks'), { recursive: true });
  writeFileSync(join(root, 'infra', 'stacks', 'stack.ts'), '');
  utimesSync(join(root, 'infra', 'stacks', 'stack.ts'), changedAt, changedAt);
  if (builtAt !== undefined) {
    mkdirSync(join(root, 'cdk.out'));
    writeFileSync(join(root, 'cdk.out', 'manifest.json'), '{}');
    utimesSync(join(root, 'cdk.out', 'manifest.json'), builtAt, builtAt);
  }
  return root;
}

describe('staleReason', () => {
  it('is undefined when cdk.out is newer than every source', () => {
    // Prepare
    const root = project(2_000, 1_000);

    // Act and Assess
    expect(staleReason(root, join(root, 'cdk.out'), ['infra', 'cdk.json'])).toBeUndefined();
  });

  it('names the source file that is newer than cdk.out', () => {
    // Prepare
    const root = project(1_000, 2_000);

    // Act and Assess
    expect(staleReason(root, join(root, 'cdk.out'), ['infra'])).toBe(
      'infra/stacks/stack.ts is newer than cdk.out',
    );
  });

  it('says when cdk.out has no manifest', () => {
    // Prepare
    const root = project(undefined, 1_000);

    // Act and Assess
    expect(staleReason(root, join(root, 'cdk.out'), ['infra'])).toBe('cdk.out/manifest.json missing');
  });
});

describe('ensureSynth', () => {
  it('does not run cdk when cdk.out is current', async () => {
    // Prepare: no node_modules/.bin/cdk in this folder, so a synth attempt would reject.
    const root = project(2_000, 1_000);

    // Act
    const outcome = await ensureSynth({ root, sources: ['infra'], log: () => {} });

    // Assess
    expect(outcome).toMatchObject({ synthesized: false, reason: 'up to date' });
  });

  it('reports a missing cdk CLI instead of hanging when cdk.out is stale', async () => {
    // Prepare
    const root = project(1_000, 2_000);

    // Act
    const act = ensureSynth({ root, sources: ['infra'], log: () => {} });

    // Assess
    await expect(act).rejects.toThrow(/node_modules\/\.bin\/cdk not found/);
  });
});
