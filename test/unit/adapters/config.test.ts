import { describe, expect, it } from 'vitest';
import {
  readAggregatorEnv,
  readIdleFlushEnv,
  readProducerEnv,
  readRedriveEnv,
} from '../../../functions/adapters/config.js';
import { ConfigurationError } from '../../../functions/adapters/errors.js';

const aggregator = {
  PIPELINE_NAME: 'taxi-rides',
  STATE_BUCKET: 'state',
  AGGREGATES_DELIVERY_STREAM: 'aggregates',
  LATE_DELIVERY_STREAM: 'late',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq',
};

describe('environment readers', () => {
  it('fills STATE_PREFIX and TRANSPORT with their defaults and reads the idle flush numbers as numbers', () => {
    // Act
    const env = readIdleFlushEnv({
      ...aggregator,
      IDLE_TIMEOUT_MS: '120000',
      STREAM_NAME: 'tributary-taxi-rides',
      MAX_RECORD_AGE_MS: '86400000',
    });

    // Assess
    expect(env).toMatchObject({
      STATE_PREFIX: 'state/',
      IDLE_TIMEOUT_MS: 120_000,
      TRANSPORT: 'kinesis',
      STREAM_NAME: 'tributary-taxi-rides',
      MAX_RECORD_AGE_MS: 86_400_000,
    });
  });

  it("refuses an idle flush without its stream, or with a record age below the mapping's minimum", () => {
    // Act
    const read = (extra: Record<string, string>) => () =>
      readIdleFlushEnv({ ...aggregator, IDLE_TIMEOUT_MS: '120000', ...extra });

    // Assess
    expect(read({ MAX_RECORD_AGE_MS: '86400000' })).toThrow(/STREAM_NAME/);
    expect(read({ STREAM_NAME: 's', MAX_RECORD_AGE_MS: '1000' })).toThrow(/MAX_RECORD_AGE_MS/);
    expect(read({ STREAM_NAME: 's', MAX_RECORD_AGE_MS: '86400000', TRANSPORT: 'kafka' })).toThrow(
      /TRANSPORT/,
    );
  });

  it('reads a Kinesis redrive as before TRANSPORT existed, and wants the group prefix on MSK', () => {
    // Act
    const read = (extra: Record<string, string>) => () =>
      readRedriveEnv({ ...aggregator, STREAM_NAME: 'tributary-dev-taxi-rides', ...extra });

    // Assess
    expect(read({})()).toMatchObject({ TRANSPORT: 'kinesis', STREAM_NAME: 'tributary-dev-taxi-rides' });
    expect(read({ TRANSPORT: 'msk' })).toThrow(/KAFKA_REDRIVE_GROUP/);
    expect(read({ TRANSPORT: 'msk', KAFKA_REDRIVE_GROUP: 'g-redrive' })()).toMatchObject({
      TRANSPORT: 'msk',
      KAFKA_REDRIVE_GROUP: 'g-redrive',
    });
  });

  it('names every missing variable in one ConfigurationError', () => {
    // Act
    const error = (() => {
      try {
        readAggregatorEnv({ PIPELINE_NAME: 'taxi-rides' });
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/STATE_BUCKET[\s\S]*DEAD_LETTER_QUEUE_URL/);
  });

  it('reads STREAM_NAMES as a JSON object and refuses anything else', () => {
    // Act
    const env = readProducerEnv({ STREAM_NAMES: '{"taxi-rides":"tributary-taxi-rides"}' });

    // Assess
    expect(env.STREAM_NAMES).toEqual({ 'taxi-rides': 'tributary-taxi-rides' });
    expect(() => readProducerEnv({ STREAM_NAMES: 'taxi-rides' })).toThrow(
      /JSON object of pipeline name -> stream or topic name/,
    );
    expect(() => readProducerEnv({ STREAM_NAMES: '["a"]' })).toThrow(ConfigurationError);
  });
});
