import { describe, expect, it } from 'vitest';
import { lambdaEnvironment } from '../../../../local/runtime/lambda/index.js';
import { basicSpec } from '../lambda/spec-factory.js';

const local = { endpoint: 'http://127.0.0.1:4566', region: 'us-east-1' };

describe('lambdaEnvironment for Kafka functions', () => {
  it('points a function with KAFKA_BOOTSTRAP_SERVERS at the local broker, without auth', () => {
    // Prepare: what the MSK stack sets (the SASL/IAM bootstrap string)
    const spec = basicSpec('env', {
      environment: {
        KAFKA_BOOTSTRAP_SERVERS: 'b-1.msk.example:9098,b-2.msk.example:9098',
        KAFKA_AUTH: 'aws-iam',
      },
    });

    // Act
    const env = lambdaEnvironment(spec, { ...local, kafkaBootstrapServers: '127.0.0.1:19092' });

    // Assess
    expect(env.KAFKA_BOOTSTRAP_SERVERS).toBe('127.0.0.1:19092');
    expect(env.KAFKA_AUTH).toBe('none');
  });

  it('defaults to 127.0.0.1 and the configured Kafka port; explicit overrides still win', () => {
    // Prepare
    const spec = basicSpec('env', { environment: { KAFKA_BOOTSTRAP_SERVERS: 'b-1:9098' } });
    const previous = process.env.TRIBUTARY_KAFKA_PORT;
    process.env.TRIBUTARY_KAFKA_PORT = '19093';

    // Act
    let env: Record<string, string>;
    let overridden: Record<string, string>;
    try {
      env = lambdaEnvironment(spec, local);
      overridden = lambdaEnvironment(spec, local, { KAFKA_AUTH: 'aws-iam' });
    } finally {
      if (previous === undefined) delete process.env.TRIBUTARY_KAFKA_PORT;
      else process.env.TRIBUTARY_KAFKA_PORT = previous;
    }

    // Assess
    expect(env.KAFKA_BOOTSTRAP_SERVERS).toBe('127.0.0.1:19093');
    expect(overridden.KAFKA_AUTH).toBe('aws-iam');
  });

  it('leaves functions without KAFKA_BOOTSTRAP_SERVERS alone', () => {
    const env = lambdaEnvironment(basicSpec('env'), local);
    expect(env).not.toHaveProperty('KAFKA_BOOTSTRAP_SERVERS');
    expect(env).not.toHaveProperty('KAFKA_AUTH');
  });
});
