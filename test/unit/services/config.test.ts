import { describe, expect, it } from 'vitest';
import { ports } from '../../../local/services/config.js';
import { ServiceConfigError } from '../../../local/services/errors.js';

describe('ports', () => {
  it('defaults to 4566 for LocalStack, 9092 for Kafka and the next port for its controller', () => {
    // Act
    const result = ports({});

    // Assess
    expect(result).toEqual({ localstack: 4566, kafka: 9092, kafkaController: 9093 });
  });

  it('takes overrides from the environment, the controller following Kafka', () => {
    // Act
    const result = ports({ TRIBUTARY_LOCALSTACK_PORT: '14566', TRIBUTARY_KAFKA_PORT: '19092' });

    // Assess
    expect(result).toEqual({ localstack: 14566, kafka: 19092, kafkaController: 19093 });
  });

  it.each(['abc', '80', '70000', '4566.5'])('rejects %s, quoting the value', (value) => {
    // Act
    const act = () => ports({ TRIBUTARY_KAFKA_PORT: value });

    // Assess
    expect(act).toThrow(ServiceConfigError);
    expect(act).toThrow(`TRIBUTARY_KAFKA_PORT must be a port number 1024-65535 (given "${value}")`);
  });
});
