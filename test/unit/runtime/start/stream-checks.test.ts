import { describe, expect, it } from 'vitest';
import { RunFailedError } from '../../../../local/runtime/start/run-failed-error.js';
import { fixedShardRanges } from '../../../../local/runtime/start/stream-checks.js';

describe('the shards the reconciliation places records on', () => {
  it('are the stream’s ranges, and a reshard during the run fails the run rather than passing unchecked', () => {
    // Prepare
    const original = {
      ShardId: 'shardId-000000000000',
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' },
    };
    const child = {
      ShardId: 'shardId-000000000001',
      ParentShardId: 'shardId-000000000000',
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '4' },
    };

    // Act
    const ranges = fixedShardRanges('clicks', [original]);
    const resharded = () => fixedShardRanges('clicks', [original, child]);

    // Assess
    expect(ranges).toEqual([{ shardId: 'shardId-000000000000', startingHashKey: '0', endingHashKey: '9' }]);
    expect(resharded).toThrow(RunFailedError);
    expect(resharded).toThrow(
      'clicks was resharded during the run (shardId-000000000001 comes from shardId-000000000000): the reconciliation models a fixed set of shards',
    );
  });
});
