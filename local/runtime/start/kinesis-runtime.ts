import { EventSourceMappingRunner } from '../event-source-mapping/index.js';
import { caughtUpSince } from '../event-source-mapping/progress.js';
import { KINESIS_POLL_INTERVAL_MS } from '../firehose/index.js';
import { kinesisShardSource, type ShardSource, SharedShardReads } from '../kinesis/index.js';
import type { LocalLambdaRuntime } from '../lambda/index.js';
import type { PipelineRuntimeOptions, StreamConsumers } from './runtime.js';
import { assertStreamAlive, shardRanges } from './stream-checks.js';

/**
 * The mapping and the raw Firehose read the stream once between them (kinesis-mock's time is the
 * limit). The Firehose, which buffers for a minute, takes what the mapping read within its own
 * poll interval as the tip, so its polls cost kinesis-mock nothing while the mapping reads.
 */
export function sharedKinesisReads(options: Pick<PipelineRuntimeOptions, 'clients' | 'resources'>) {
  const { clients, resources } = options;
  const sharedReads = new SharedShardReads(kinesisShardSource(clients.kinesis, resources.streamName));
  return {
    shardSource: (streamName: string, maxStalenessMs = KINESIS_POLL_INTERVAL_MS): ShardSource | undefined =>
      streamName === resources.streamName ? sharedReads.source({ maxStalenessMs }) : undefined,
  };
}

/** The pipeline's Kinesis event source mapping, polling LocalStack (see event-source-mapping/). */
export function startKinesisConsumers(
  options: PipelineRuntimeOptions & {
    readonly lambda: LocalLambdaRuntime;
    readonly shardSource: (streamName: string, maxStalenessMs?: number) => ShardSource | undefined;
  },
): StreamConsumers {
  const { clients, resources } = options;
  const esm = EventSourceMappingRunner.start({
    assembly: options.assembly,
    lambda: options.lambda,
    context: options.context,
    kinesis: clients.kinesis,
    sqs: clients.sqs,
    checkpointFile: options.folder.esmCheckpoints,
    filter: (m) => m.id === resources.mapping.config.id,
    shardSource: (m) => options.shardSource(m.streamName, 0),
    log: (m) => options.log(`[esm] ${m}`),
  });
  const mapping = () => esm.progress()[0];
  const shardErrors = () =>
    Object.entries(mapping()?.shards ?? {}).flatMap(([id, s]) =>
      s.lastError ? [`${id}: ${s.lastError}`] : [],
    );
  const alive = () =>
    assertStreamAlive(clients, resources.streamName, { shardErrors: shardErrors(), watch: options.watch });
  // The shards of a run are fixed (a resharded run fails its reconciliation): listed once.
  let shardIds: Promise<string[]> | undefined;
  return {
    esm,
    lagText: () => `iterator age ${((mapping()?.totals.iteratorAgeMs ?? 0) / 1000).toFixed(1)} s`,
    totals: () => mapping()?.totals,
    async caughtUp(since) {
      shardIds ??= shardRanges(clients, resources.streamName).then((ranges) => ranges.map((s) => s.shardId));
      const shards = mapping()?.shards ?? {};
      return (await shardIds).every((id) => {
        const shard = shards[id];
        return shard !== undefined && caughtUpSince(shard, since);
      });
    },
    assertStreamAlive: alive,
    stop: () => esm.stop(),
  };
}
