import { describe, expect, it } from 'vitest';
import type { ShardProgress } from '../../../../local/runtime/event-source-mapping/progress.js';
import { consumedTips } from '../../../../local/runtime/start/keep-running.js';
import type { PipelineRuntime } from '../../../../local/runtime/start/runtime.js';

function runtimeWith(shards: Record<string, Partial<ShardProgress>>): Pick<PipelineRuntime, 'esm'> {
  return { esm: { progress: () => [{ shards }] } } as unknown as Pick<PipelineRuntime, 'esm'>;
}

describe('consumedTips', () => {
  it("takes each shard's last record read, else (a resumed run that read nothing new) its checkpoint", () => {
    // Prepare
    const runtime = runtimeWith({
      'shardId-000000000000': { lastRead: '49600', checkpoint: '49500' },
      'shardId-000000000001': { lastRead: undefined, checkpoint: '49700' },
      'shardId-000000000002': { lastRead: undefined, checkpoint: undefined },
    });

    // Act
    const tips = consumedTips(runtime);

    // Assess: a shard with neither holds nothing, so it is read from its start
    expect(tips).toEqual({ 'shardId-000000000000': '49600', 'shardId-000000000001': '49700' });
  });
});
