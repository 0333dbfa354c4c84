import { describe, expect, it } from 'vitest';
import { lambdaEnvironment } from '../../../../local/runtime/lambda/index.js';
import { basicSpec } from './spec-factory.js';

const local = { endpoint: 'http://127.0.0.1:4566', region: 'us-east-1' };

describe('lambdaEnvironment', () => {
  it('lets the template set LANG, which Lambda does not reserve, and defaults it as Lambda does', () => {
    // Act
    const set = lambdaEnvironment(basicSpec('handler', { environment: { LANG: 'de_DE.UTF-8' } }), local);
    const unset = lambdaEnvironment(basicSpec('handler'), local);

    // Assess
    expect(set.LANG).toBe('de_DE.UTF-8');
    expect(unset.LANG).toBe('en_US.UTF-8');
  });
});
