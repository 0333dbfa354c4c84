import { describe, expect, it } from 'vitest';
import { generateTaxiTrips } from '../../../functions/pipelines/taxi-rides/generate.js';
import { taxiRides } from '../../../functions/pipelines/taxi-rides/pipeline.js';
import {
  evenShardRanges,
  kafkaPartitionFor,
  kinesisShardFor,
  referenceInput,
} from '../../../local/reconcile/reference-input.js';

describe('evenShardRanges', () => {
  it('splits the 128-bit hash key space as CreateStream does', () => {
    // Act
    const ranges = evenShardRanges(2);

    // Assess: the ranges a 2-shard stream lists (2^127 - 1 and 2^127).
    expect(ranges).toEqual([
      {
        shardId: 'shardId-000000000000',
        startingHashKey: '0',
        endingHashKey: '170141183460469231731687303715884105727',
      },
      {
        shardId: 'shardId-000000000001',
        startingHashKey: '170141183460469231731687303715884105728',
        endingHashKey: '340282366920938463463374607431768211455',
      },
    ]);
    expect(() => evenShardRanges(0)).toThrow('shard count must be >= 1 (given 0)');
  });
});

describe('kinesisShardFor', () => {
  it('places a key by the MD5 of its bytes', () => {
    // Prepare: md5("a") = 0cc175b9... (lower half), md5("") = d41d8cd9... (upper half).
    const ranges = evenShardRanges(2);

    // Act / Assess
    expect(kinesisShardFor('a', ranges)).toBe('shardId-000000000000');
    expect(kinesisShardFor('', ranges)).toBe('shardId-000000000001');
  });

  it('says so when the ranges leave a hole', () => {
    const [lower] = evenShardRanges(2);
    expect(() => kinesisShardFor('', lower === undefined ? [] : [lower])).toThrow(
      'no shard covers the hash key of ""',
    );
  });
});

describe('kafkaPartitionFor', () => {
  it('matches the Java client murmur2 partitioner (vectors of Kafka UtilsTest)', () => {
    // murmur2("21") = -973932308 -> toPositive 1173551340; murmur2("abc") = 479470107.
    expect(kafkaPartitionFor('rides', '21', 1000)).toBe('rides-340');
    expect(kafkaPartitionFor('rides', 'abc', 1000)).toBe('rides-107');
  });
});

describe('referenceInput', () => {
  it('parses produced records into keyed, timed, partitioned input and keeps the rejected ones with reasons', () => {
    // Prepare
    const produced = [
      ...generateTaxiTrips({ seed: 1, count: 3, startMs: Date.UTC(2025, 0, 1), ratePerSec: 1 }),
      { text: '{"VendorID":3}', arrivalMs: Date.UTC(2025, 0, 1, 1) },
    ];
    const ranges = evenShardRanges(4);

    // Act
    const { records, rejected } = referenceInput(taxiRides, produced, (key) => kinesisShardFor(key, ranges));

    // Assess
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      key: String(produced[0] && 'event' in produced[0] ? produced[0].event.PULocationID : ''),
      partition: expect.stringMatching(/^shardId-00000000000[0-3]$/),
    });
    expect(rejected).toEqual([
      { index: 3, text: '{"VendorID":3}', reason: expect.stringContaining('VendorID') },
    ]);
  });
});
