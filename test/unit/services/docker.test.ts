import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireDockerEngine } from '../../../local/services/docker.js';
import { PrerequisiteError } from '../../../local/services/errors.js';

const originalPath = process.env.PATH;

/** A folder on PATH holding a fake `docker` that behaves like the client without an engine. */
function fakeDockerClient(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-docker-'));
  const file = join(dir, 'docker');
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return dir;
}

describe('requireDockerEngine', () => {
  afterEach(() => {
    process.env.PATH = originalPath;
  });

  it('says no engine answered, quoting the client, and points to host mode', async () => {
    // Prepare
    process.env.PATH = fakeDockerClient(
      'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1',
    );

    // Act
    const act = requireDockerEngine();

    // Assess
    await expect(act).rejects.toThrow(PrerequisiteError);
    await expect(act).rejects.toThrow(
      /--docker needs a running Docker engine, but none answered .*Cannot connect/,
    );
    await expect(act).rejects.toThrow(/run without --docker to use host mode/);
  });

  it('says the client is missing when docker is not on PATH', async () => {
    // Prepare
    process.env.PATH = mkdtempSync(join(tmpdir(), 'tributary-empty-'));

    // Act + Assess
    await expect(requireDockerEngine()).rejects.toThrow(/docker is not installed or not on PATH/);
  });

  it('returns the engine version when one answers', async () => {
    // Prepare
    process.env.PATH = `${fakeDockerClient('echo 27.3.1')}:${originalPath}`;

    // Act + Assess
    await expect(requireDockerEngine()).resolves.toBe('27.3.1');
  });
});
