import type { ListShardsCommand, ListShardsCommandOutput } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import {
  hashKeyOf,
  KinesisShardLineage,
  routesTo,
  type ShardInfo,
} from '../../../functions/adapters/kinesis/shard-lineage.js';

const ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks';

describe('shard lineage', () => {
  it('hashes a partition key as Kinesis does: MD5 of its UTF-8 bytes, as a 128-bit number', () => {
    // md5("") = d41d8cd98f00b204e9800998ecf8427e
    expect(hashKeyOf('')).toBe(0xd41d8cd98f00b204e9800998ecf8427en);
    const shard: ShardInfo = { shardId: 's', hashKeyRange: { start: 0n, end: hashKeyOf('ann') } };
    expect(routesTo('ann', shard)).toBe(true);
    expect(routesTo('ann', { ...shard, hashKeyRange: { start: 0n, end: hashKeyOf('ann') - 1n } })).toBe(
      false,
    );
  });

  it('lists every page once, then answers from its cache; lists again for a shard it does not know', async () => {
    // Prepare: two pages of ListShards.
    const calls: ListShardsCommand['input'][] = [];
    const pages: ListShardsCommandOutput[] = [
      {
        $metadata: {},
        Shards: [
          {
            ShardId: 'p',
            HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' },
            SequenceNumberRange: undefined,
          },
        ],
        NextToken: 'next',
      },
      {
        $metadata: {},
        Shards: [
          {
            ShardId: 'c',
            ParentShardId: 'p',
            HashKeyRange: { StartingHashKey: '0', EndingHashKey: '4' },
            SequenceNumberRange: undefined,
          },
        ],
      },
    ];
    let page = 0;
    const lineage = new KinesisShardLineage({
      send: async (command) => {
        calls.push(command.input);
        return pages[page++ % 2] as ListShardsCommandOutput;
      },
    });

    // Act
    const child = await lineage.describe(ARN, 'c');
    const parent = await lineage.describe(ARN, 'p');
    const unknown = await lineage.describe(ARN, 'x');

    // Assess
    expect(child).toEqual({
      shardId: 'c',
      parentShardId: 'p',
      adjacentParentShardId: undefined,
      hashKeyRange: { start: 0n, end: 4n },
    });
    expect(parent?.hashKeyRange).toEqual({ start: 0n, end: 9n });
    expect(unknown).toBeUndefined();
    expect(calls).toEqual([
      { StreamARN: ARN },
      { NextToken: 'next' },
      { StreamARN: ARN },
      { NextToken: 'next' },
    ]);
  });

  it('has no lineage for a stream that does not exist (a hand-written event), and passes other errors on', async () => {
    // Prepare
    const missing = new KinesisShardLineage({
      send: async () => {
        throw Object.assign(new Error('Stream clicks not found'), { name: 'ResourceNotFoundException' });
      },
    });
    const throttled = new KinesisShardLineage({
      send: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'LimitExceededException' });
      },
    });

    // Act + Assess
    await expect(missing.describe(ARN, 'c')).resolves.toBeUndefined();
    await expect(throttled.describe(ARN, 'c')).rejects.toThrow('Rate exceeded');
  });
});
