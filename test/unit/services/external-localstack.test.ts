import { describe, expect, it } from 'vitest';
import { ServiceConfigError } from '../../../local/services/errors.js';
import { externalLocalstackEndpoint } from '../../../local/services/external-localstack.js';

describe('externalLocalstackEndpoint', () => {
  it('is undefined when TRIBUTARY_LOCALSTACK_ENDPOINT is unset or empty', () => {
    expect(externalLocalstackEndpoint({})).toBeUndefined();
    expect(externalLocalstackEndpoint({ TRIBUTARY_LOCALSTACK_ENDPOINT: '' })).toBeUndefined();
  });

  it('is the origin of the URL given (a trailing slash or path would break the SDK endpoint)', () => {
    // Act
    const endpoint = externalLocalstackEndpoint({ TRIBUTARY_LOCALSTACK_ENDPOINT: 'http://127.0.0.1:4610/' });

    // Assess
    expect(endpoint).toBe('http://127.0.0.1:4610');
  });

  it.each(['127.0.0.1:4566', 'ftp://127.0.0.1:4566'])('rejects %s, quoting the value', (value) => {
    // Act
    const act = () => externalLocalstackEndpoint({ TRIBUTARY_LOCALSTACK_ENDPOINT: value });

    // Assess
    expect(act).toThrow(ServiceConfigError);
    expect(act).toThrow(`(given "${value}")`);
  });
});
