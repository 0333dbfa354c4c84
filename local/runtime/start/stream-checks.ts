import { DescribeStreamSummaryCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { ShardRange } from '../../reconcile/reference-input.js';
import type { LocalClients } from './clients.js';
import type { LocalstackWatch } from './localstack-watch.js';
import { RunFailedError } from './run-failed-error.js';

/**
 * The stream's shards with their hash key ranges (ListShards), for the reference model's placement.
 * A stream resharded during the run fails the run instead: the reference places each record on the
 * one shard its key hashes to, and cannot tell which records a parent shard took before the split.
 */
export async function shardRanges(clients: LocalClients, streamName: string): Promise<ShardRange[]> {
  const shards = (await clients.kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  return fixedShardRanges(streamName, shards);
}

/** The ranges of shards none of which came from a reshard; throws a RunFailedError naming one that did. */
export function fixedShardRanges(
  streamName: string,
  shards: readonly {
    ShardId?: string;
    ParentShardId?: string;
    HashKeyRange?: { StartingHashKey?: string; EndingHashKey?: string };
  }[],
): ShardRange[] {
  const child = shards.find((s) => s.ParentShardId !== undefined);
  if (child) {
    throw new RunFailedError(
      `${streamName} was resharded during the run (${child.ShardId} comes from ${child.ParentShardId}): ` +
        'the reconciliation models a fixed set of shards and cannot check this run (what was delivered so far is in the warehouse, unchecked)',
    );
  }
  return shards.map((s) => ({
    shardId: s.ShardId ?? '',
    startingHashKey: s.HashKeyRange?.StartingHashKey ?? '0',
    endingHashKey: s.HashKeyRange?.EndingHashKey ?? '0',
  }));
}

/**
 * Throws a clear error when LocalStack restarted (the watch sees a new instance) or no longer has
 * the run's stream (restarted without persistence, or the stream was deleted).
 */
export async function assertStreamAlive(
  clients: LocalClients,
  streamName: string,
  { shardErrors, watch }: { shardErrors?: readonly string[]; watch?: LocalstackWatch } = {},
) {
  await watch?.assertSameInstance();
  const lost = shardErrors?.filter((e) => /ResourceNotFound|not found/i.test(e)) ?? [];
  let status: string | undefined;
  try {
    const out = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    status = out.StreamDescriptionSummary?.StreamStatus;
  } catch (error) {
    status = (error as Error).name;
  }
  if (status !== 'ACTIVE' && status !== 'UPDATING') {
    throw new RunFailedError(
      `LocalStack no longer has stream ${streamName} (${status}): it was restarted and lost its data, or the stream was deleted; the run cannot be trusted. Start a new run.`,
    );
  }
  if (lost.length > 0) {
    throw new RunFailedError(
      `reading the stream failed with ${lost.join('; ')}: LocalStack lost the stream (restarted?)`,
    );
  }
}
