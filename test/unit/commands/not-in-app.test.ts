import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPipelines, notInApp } from '../../../local/runtime/synth/app-pipelines.js';

/** A project folder whose cdk.json holds `context`. */
function projectWith(context: unknown): string {
  const root = mkdtempSync(join(tmpdir(), 'tributary-cdk-json-'));
  writeFileSync(join(root, 'cdk.json'), JSON.stringify({ app: 'x', context }));
  return root;
}

describe("the app's pipelines (cdk.json)", () => {
  it('reads them from the pipelines context', () => {
    expect(appPipelines(projectWith({ pipelines: 'taxi-rides,click-sessions' }))).toEqual([
      'taxi-rides',
      'click-sessions',
    ]);
  });

  it('says what to add for a pipeline the app does not deploy, and nothing for one it does', () => {
    const root = projectWith({ pipelines: 'taxi-rides' });
    expect(notInApp('taxi-rides', root)).toBeUndefined();
    expect(notInApp('click-sessions', root)).toBe(
      'pipeline "click-sessions" is registered but the app does not deploy it: add it to "pipelines" in cdk.json\'s context (now taxi-rides)',
    );
  });

  it('leaves it to synthesis when cdk.json cannot tell', () => {
    expect(appPipelines(mkdtempSync(join(tmpdir(), 'tributary-no-cdk-json-')))).toBeUndefined();
    expect(notInApp('click-sessions', projectWith({ pipelines: 5 }))).toBeUndefined();
  });

  it("is this project's cdk.json: every example", () => {
    expect(appPipelines()).toEqual(
      expect.arrayContaining(['taxi-rides', 'web-access-logs', 'click-sessions']),
    );
  });
});
