import { describe, expect, it } from 'vitest';
import { newClusterId, serverProperties } from '../../../local/services/kafka-config.js';
import { parseJavaMajor } from '../../../local/services/prerequisites.js';

describe('newClusterId', () => {
  it('is 16 random bytes in base64url without padding, different each time', () => {
    // Act
    const ids = Array.from({ length: 50 }, () => newClusterId());

    // Assess
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never starts with "-", which kafka-storage would read as an option (1 random id in 64 does)', () => {
    // Act: without the guard, 5,000 ids hold ~78 such ones
    const ids = Array.from({ length: 5_000 }, () => newClusterId());

    // Assess
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
  });
});

describe('serverProperties', () => {
  it('describes one KRaft node on the loopback address with the given ports', () => {
    // Act
    const text = serverProperties({ localstack: 4566, kafka: 19092, kafkaController: 19093 }, '/data');

    // Assess
    const props = Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(props['process.roles']).toBe('broker,controller');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props['log.dirs']).toBe('/data');
    expect(props['offsets.topic.replication.factor']).toBe('1');
    expect(props['auto.create.topics.enable']).toBe('false');
  });
});

describe('parseJavaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_402"', 8],
  ])('reads %s as %i', (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });

  it('is undefined for output that names no version', () => {
    expect(parseJavaMajor('bash: java: command not found')).toBeUndefined();
  });
});
