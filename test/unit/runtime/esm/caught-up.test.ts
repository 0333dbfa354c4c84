import { describe, expect, it } from 'vitest';
import {
  caughtUpSince,
  emptyShardProgress,
} from '../../../../local/runtime/event-source-mapping/progress.js';

const PRODUCED_AT = 1_000;

describe('caughtUpSince (the consumer has everything written before a time)', () => {
  it('is false until a GetRecords sent after that time found the tip', () => {
    const before = { ...emptyShardProgress(), readToTipAt: PRODUCED_AT - 1 };
    expect(caughtUpSince(emptyShardProgress(), PRODUCED_AT)).toBe(false);
    expect(caughtUpSince(before, PRODUCED_AT)).toBe(false);
  });

  it('waits for what was read to be checkpointed', () => {
    const read = {
      ...emptyShardProgress(),
      readToTipAt: PRODUCED_AT,
      lastRead: '49000000000000000000000000000000000000000000000012',
    };
    expect(caughtUpSince({ ...read, checkpoint: undefined }, PRODUCED_AT)).toBe(false);
    expect(
      caughtUpSince(
        { ...read, checkpoint: '49000000000000000000000000000000000000000000000011' },
        PRODUCED_AT,
      ),
    ).toBe(false);
    expect(
      caughtUpSince(
        { ...read, checkpoint: '49000000000000000000000000000000000000000000000012' },
        PRODUCED_AT,
      ),
    ).toBe(true);
  });

  it('holds for a shard that had nothing new to read, and for an ended shard', () => {
    expect(caughtUpSince({ ...emptyShardProgress(), readToTipAt: PRODUCED_AT + 5 }, PRODUCED_AT)).toBe(true);
    expect(caughtUpSince({ ...emptyShardProgress(), ended: true }, PRODUCED_AT)).toBe(true);
  });
});
