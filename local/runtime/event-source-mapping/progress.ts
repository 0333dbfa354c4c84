/** Live figures of one shard of one mapping, for the progress display. Mutated by the consumer. */
export interface ShardProgress {
  recordsRead: number;
  /** Records the function processed successfully (checkpointed). */
  recordsProcessed: number;
  /** Records given up on (on-failure destination or dropped). */
  recordsDiscarded: number;
  invocations: number;
  failedInvocations: number;
  /** Lambda's IteratorAge: now minus the arrival time of the last record of the last batch sent. */
  iteratorAgeMs: number;
  /** MillisBehindLatest of the last GetRecords. */
  millisBehindLatest: number;
  /** The checkpointed sequence number. */
  checkpoint: string | undefined;
  /** The sequence number of the last record read from the shard. */
  lastRead: string | undefined;
  /**
   * When (epoch ms) the last read that found the shard's tip was sent (the page's `tipAsOf`): every
   * record written before then has been read.
   */
  readToTipAt: number | undefined;
  ended: boolean;
  /** The last error reading the shard (e.g. the stream vanished because LocalStack restarted). */
  lastError: string | undefined;
}

export function emptyShardProgress(): ShardProgress {
  return {
    recordsRead: 0,
    recordsProcessed: 0,
    recordsDiscarded: 0,
    invocations: 0,
    failedInvocations: 0,
    iteratorAgeMs: 0,
    millisBehindLatest: 0,
    checkpoint: undefined,
    lastRead: undefined,
    readToTipAt: undefined,
    ended: false,
    lastError: undefined,
  };
}

/** Progress of one mapping: per shard, and summed. */
export interface MappingProgress {
  readonly id: string;
  readonly functionName: string;
  readonly streamName: string;
  readonly shards: Readonly<Record<string, Readonly<ShardProgress>>>;
  readonly totals: Omit<
    ShardProgress,
    'checkpoint' | 'lastRead' | 'readToTipAt' | 'ended' | 'lastError' | 'millisBehindLatest'
  > & {
    readonly shards: number;
  };
}

export function summarize(
  id: string,
  functionName: string,
  streamName: string,
  shards: ReadonlyMap<string, ShardProgress>,
): MappingProgress {
  const all = [...shards.values()];
  const sum = (pick: (p: ShardProgress) => number) => all.reduce((total, p) => total + pick(p), 0);
  return {
    id,
    functionName,
    streamName,
    shards: Object.fromEntries([...shards].map(([k, v]) => [k, { ...v }])),
    totals: {
      shards: all.length,
      recordsRead: sum((p) => p.recordsRead),
      recordsProcessed: sum((p) => p.recordsProcessed),
      recordsDiscarded: sum((p) => p.recordsDiscarded),
      invocations: sum((p) => p.invocations),
      failedInvocations: sum((p) => p.failedInvocations),
      iteratorAgeMs: Math.max(0, ...all.map((p) => p.iteratorAgeMs)),
    },
  };
}

/**
 * Whether the consumer has read and checkpointed everything written to the shard before `since`
 * (epoch ms): what "caught up" means for Lambda (iterator age zero), seen by the poller itself,
 * so nobody has to read the stream a second time to find its tip.
 */
export function caughtUpSince(shard: Readonly<ShardProgress>, since: number): boolean {
  if (shard.ended) return true;
  if (shard.readToTipAt === undefined || shard.readToTipAt < since) return false;
  if (shard.lastRead === undefined) return true;
  return shard.checkpoint !== undefined && BigInt(shard.checkpoint) >= BigInt(shard.lastRead);
}
