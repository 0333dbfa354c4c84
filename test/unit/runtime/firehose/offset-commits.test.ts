import { describe, expect, it } from 'vitest';
import { OffsetCommits } from '../../../../local/runtime/firehose/offset-commits.js';

describe('OffsetCommits', () => {
  it('commits past the longest delivered prefix of each partition, whatever order objects finish in', () => {
    // Prepare: offsets 5, 6, 7 of partition 0 and 40 of partition 2
    const commits = new OffsetCommits();
    const [a, b, c] = ['5', '6', '7'].map((offset) => commits.track(0, offset));
    const d = commits.track(2, '40');

    // Act + Assess: 6 and 7 first (a later object), then 5
    c?.();
    b?.();
    expect(commits.pending()).toEqual([]);
    d();
    expect(commits.pending()).toEqual([{ partition: 2, offset: '41' }]);
    a?.();
    expect(commits.pending()).toEqual([
      { partition: 2, offset: '41' },
      { partition: 0, offset: '8' },
    ]);
    expect(commits.unacknowledged).toBe(0);
  });

  it('never moves back for records read twice, and drops what the broker accepted', () => {
    // Prepare: offsets 9 and 10 delivered
    const commits = new OffsetCommits();
    commits.track(1, '9')();
    commits.track(1, '10')();

    // Act: offset 9 read again (after a rebalance) and delivered again; then the commit succeeds
    commits.track(1, '9')();
    const afterReplay = commits.pending();
    commits.markCommitted(afterReplay);
    const afterCommit = commits.pending();
    const next = commits.track(1, '11');

    // Assess
    expect(afterReplay).toEqual([{ partition: 1, offset: '11' }]);
    expect(afterCommit).toEqual([]);
    expect(commits.unacknowledged).toBe(1);
    next();
    expect(commits.pending()).toEqual([{ partition: 1, offset: '12' }]);
  });
});
