import { describe, expect, it } from 'vitest';
import { aggregateBatch } from '../../../functions/adapters/aggregator/aggregate-batch.js';
import { flushIdleShards } from '../../../functions/adapters/aggregator/idle-flush.js';
import {
  checkCheckpoints,
  describeRefusal,
} from '../../../functions/adapters/state/checkpoint-compatibility.js';
import { STATE_VERSION } from '../../../functions/core/engine/state.js';
import { type AnyPipeline, definePipeline } from '../../../functions/core/pipeline.js';
import { click, clicksPipeline, T0 } from '../../fixtures/test-pipeline.js';
import { clickRecords, memoryDeps } from './aggregator-harness.js';

const MIN = 60_000;

/** What a deploy of the pipeline would pass the check (as infra/pipeline-catalog.ts derives it). */
function deployed(pipeline: AnyPipeline) {
  const state = pipeline.createEngine().initialState();
  return { window: state.window, aggregations: state.aggregations, stateVersion: state.v };
}
const WALL = 1_800_000_000_000;

/** The clicks pipeline as a deploy would change it: one more aggregation. */
const withMax = definePipeline({
  ...clicksPipeline.config,
  aggregations: { ...clicksPipeline.config.aggregations, top: { fn: 'max', field: (e) => e.amount } },
});

/** A state store holding the checkpoints of two shards written by the clicks pipeline; one drained. */
async function twoShards() {
  let wall = WALL;
  const { deps, stateStore } = memoryDeps({ now: () => wall });
  await aggregateBatch(clickRecords([click('ann', T0 + 1000)], 1, 'shardId-000000000001'), deps);
  wall += 5 * MIN;
  await flushIdleShards({ ...deps, idleTimeoutMs: MIN });
  await aggregateBatch(clickRecords([click('bob', T0 + 2000)], 2, 'shardId-000000000002'), deps);
  return stateStore;
}

describe('checkCheckpoints', () => {
  it('passes the checkpoints of the same definition', async () => {
    // Prepare
    const store = await twoShards();

    // Act
    const same = await checkCheckpoints(store, 'test-clicks', deployed(clicksPipeline));

    // Assess
    expect(same).toEqual({ pipeline: 'test-clicks', checked: 2, refused: [], alreadyRefused: [] });
  });

  it('refuses a checkpoint holding windows of other aggregations, passes a drained one, and sets apart one that is not a checkpoint', async () => {
    // Prepare
    const store = await twoShards();
    await store.put('test-clicks', 'shardId-000000000003', Buffer.from('{not json'), undefined);

    // Act: the update from the clicks pipeline to one with a max more
    const report = await checkCheckpoints(store, 'test-clicks', deployed(withMax), deployed(clicksPipeline));

    // Assess: shard 1 was drained by the idle flush, shard 2 still holds bob's window
    expect(report.checked).toBe(3);
    expect(report.refused).toEqual([
      {
        shard: 'shardId-000000000002',
        reason: expect.stringMatching(
          /holds aggregations \["clicks:count","amount:sum"\], this deploy computes .*no windows \(drained\)/,
        ),
      },
    ]);
    expect(report.alreadyRefused).toEqual([
      { shard: 'shardId-000000000003', reason: expect.stringMatching(/^checkpoint must be JSON/) },
    ]);
  });

  it('sets apart what the running definition refuses too: the update does not break it (a rollback stays possible)', async () => {
    // Prepare: windows of the clicks pipeline, then an update between two other definitions
    const store = await twoShards();
    const other = definePipeline({ ...clicksPipeline.config, aggregations: { clicks: { fn: 'count' } } });

    // Act
    const report = await checkCheckpoints(store, 'test-clicks', deployed(withMax), deployed(other));

    // Assess
    expect(report.refused).toEqual([]);
    expect(report.alreadyRefused.map((r) => r.shard)).toEqual(['shardId-000000000002']);
  });

  it('refuses a checkpoint of a later state layout than the deploy reads (a rollback)', async () => {
    // Prepare
    const store = await twoShards();

    // Act
    const report = await checkCheckpoints(store, 'test-clicks', {
      ...deployed(clicksPipeline),
      stateVersion: STATE_VERSION - 1,
    });

    // Assess
    expect(report.refused.map((r) => r.reason)).toEqual([
      `written with engine state version ${STATE_VERSION}, the deployed code reads up to ${STATE_VERSION - 1}`,
      `written with engine state version ${STATE_VERSION}, the deployed code reads up to ${STATE_VERSION - 1}`,
    ]);
  });

  it('throws when the store cannot be read: an unread checkpoint is not a compatible one', async () => {
    // Prepare
    const store = await twoShards();
    store.get = async () => {
      throw new Error('AccessDenied');
    };

    // Act / Assess
    await expect(checkCheckpoints(store, 'test-clicks', deployed(clicksPipeline))).rejects.toThrow(
      'AccessDenied',
    );
  });
});

describe('describeRefusal', () => {
  it('groups the refused shards by reason (three named each), and says what to do', () => {
    // Prepare
    const refused = ['0', '1', '2', '3'].map((n) => ({
      shard: `shardId-00${n}`,
      reason: 'other aggregations',
    }));
    refused.push({ shard: 'shardId-009', reason: 'not JSON' });

    // Act
    const message = describeRefusal({ pipeline: 'taxi-rides', checked: 6, refused, alreadyRefused: [] });

    // Assess
    expect(message).toMatch(
      /^pipeline taxi-rides: 5 of 6 checkpoints cannot continue under the definition this stack update deploys/,
    );
    expect(message).toContain(
      '(shardId-000, shardId-001, shardId-002 and 1 more: other aggregations; shardId-009: not JSON)',
    );
    expect(message).toContain('Drain the pipeline first');
    expect(message).toContain("infra/README.md, 'Changing a running pipeline'");
  });
});
