import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAssembly, SYNTH_TIMEOUT_MS, type SynthesizedApp, synthesize } from './build-app.js';
import { acknowledgements, unacknowledgedFindings } from './nag-findings.js';

let app: SynthesizedApp;
beforeAll(async () => {
  // Without the plugin registered, so findings are returned here instead of failing synthesis.
  app = await synthesize({}, false);
}, SYNTH_TIMEOUT_MS);
afterAll(() => removeAssembly(app?.outdir));

describe('cdk-nag AwsSolutions', () => {
  it('reports zero unacknowledged findings over the whole app', () => {
    // Act
    const findings = unacknowledgedFindings(app.app);

    // Assess
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
