import { describe, expect, it } from 'vitest';
import { toAggregateRecords } from '../../../functions/adapters/aggregator/output-records.js';
import { CheckpointCorruptError } from '../../../functions/adapters/errors.js';
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  rangeRedriven,
  takenRanges,
} from '../../../functions/adapters/state/checkpoint.js';
import { committedCheckpoint } from '../../fixtures/checkpoints.js';
import { clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';

const SHARD = 'shardId-000000000000';

function checkpoint(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return committedCheckpoint({
    pipeline: clicksPipeline.name,
    shard: SHARD,
    position: {
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: undefined,
    },
    engine: clicksPipeline.createEngine().initialState(),
    lastActivity: { at: 1_800_000_000_000, streamTime: T0 },
    updatedAt: 1_800_000_000_000,
    ...overrides,
  });
}

const pending = toAggregateRecords(
  [{ key: 'ann', windowStart: T0, windowEnd: T0 + 60_000, values: { clicks: 2, amount: 2 } }],
  { pipeline: clicksPipeline.name, shard: SHARD, emittedAt: 1_800_000_120_000 },
);

describe('checkpoint codec', () => {
  it('round-trips a checkpoint with pending results (ids and emission times kept)', () => {
    // Act
    const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint({ pending })));

    // Assess
    expect(decoded.pending).toEqual(pending);
    expect(decoded.position).toEqual(checkpoint().position);
  });

  it('reads a checkpoint written before results could be pending as having none', () => {
    // Prepare: the layout as the aggregator wrote it before (no "pending" field)
    const { pending: _, ...rest } = JSON.parse(Buffer.from(encodeCheckpoint(checkpoint())).toString('utf8'));
    const before = Buffer.from(JSON.stringify(rest));

    // Act
    const decoded = decodeCheckpoint(before);

    // Assess
    expect(decoded.pending).toEqual([]);
  });

  it('round-trips what the last batch applied, and reads a checkpoint written before it was kept as not knowing', () => {
    // Prepare
    const lastApplied = [
      { from: '40', to: '49' },
      { from: '51', to: '60' },
    ];
    const { lastApplied: _, ...rest } = JSON.parse(
      Buffer.from(encodeCheckpoint(checkpoint({ lastApplied }))).toString('utf8'),
    );

    // Act
    const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint({ lastApplied })));
    const before = decodeCheckpoint(Buffer.from(JSON.stringify(rest)));

    // Assess
    expect(decoded.lastApplied).toEqual(lastApplied);
    expect(before.lastApplied).toEqual([]);
  });

  it.each([
    [{ from: '40', to: '49' }, [{ from: '40', to: '49' }]],
    [null, []],
  ])('reads lastApplied %j as an earlier version wrote it', (written, read) => {
    // Prepare
    const body = JSON.parse(Buffer.from(encodeCheckpoint(checkpoint())).toString('utf8'));
    body.lastApplied = written;

    // Act
    const decoded = decodeCheckpoint(Buffer.from(JSON.stringify(body)));

    // Assess
    expect(decoded.lastApplied).toEqual(read);
  });

  it.each([
    ['a pending result without its id', { ...pending[0], id: undefined }, /pending/],
    ['a pending result whose values are not an object', { ...pending[0], values: 3 }, /pending/],
  ])('refuses %s as corrupt, naming the field', (_, entry, message) => {
    // Prepare
    const body = JSON.parse(Buffer.from(encodeCheckpoint(checkpoint())).toString('utf8'));
    body.pending = [entry];

    // Act
    const act = () => decodeCheckpoint(Buffer.from(JSON.stringify(body)));

    // Assess
    expect(act).toThrow(CheckpointCorruptError);
    expect(act).toThrow(message);
  });
});

describe('takenRanges', () => {
  it('skips whole a range only the redriven ranges and the last write cover together, and no range with a hole', () => {
    // Prepare: offsets 10-19 redriven, 20-24 and 26-30 applied by the last write (25 never)
    const taken = takenRanges(
      checkpoint({
        redriven: [{ from: '10', to: '19', at: 1_700_000_000_000 }],
        lastApplied: [
          { from: '20', to: '24' },
          { from: '26', to: '30' },
        ],
      }),
    );

    // Assess
    expect(rangeRedriven(taken, '15', '22')).toBe(true);
    expect(rangeRedriven(taken, '10', '24')).toBe(true);
    expect(rangeRedriven(taken, '15', '27')).toBe(false);
    expect(rangeRedriven(taken, '26', '31')).toBe(false);
    expect(taken).toEqual([
      { from: '10', to: '24', at: 1_800_000_000_000 },
      { from: '26', to: '30', at: 1_800_000_000_000 },
    ]);
  });
});
