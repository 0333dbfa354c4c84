import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAssembly, SYNTH_TIMEOUT_MS, type SynthesizedApp, synthesize } from './build-app.js';

let app: SynthesizedApp;
beforeAll(async () => {
  // Without the plugin registered, so findings are returned here instead of failing synthesis.
  app = await synthesize({}, false);
}, SYNTH_TIMEOUT_MS);
afterAll(() => removeAssembly(app?.outdir));

function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  const walk = (node: IConstruct) => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        found.push({ path: node.node.path, id, reason: String(reason) });
      }
    }
    node.node.children.forEach(walk);
  };
  walk(scope);
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('reports zero unacknowledged findings over the whole app', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app.app);

    // Assess
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const acks = acknowledgements(app.app);

    expect(acks.length).toBeGreaterThan(0);
    expect(acks.filter((a) => a.reason.trim().length < 30)).toEqual([]);
  });

  it('leaves no error or warning annotation on the stack', () => {
    const annotations = Annotations.fromStack(app.stack);

    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});
