/** Live figures of one partition of one Kafka mapping. Mutated by the mapping's consumer. */
export interface KafkaPartitionProgress {
  recordsRead: number;
  /** Records the function processed successfully. */
  recordsProcessed: number;
  /** Records given up on (on-failure destination or dropped). */
  recordsDiscarded: number;
  /** The group's committed offset: the next record to process (all before it are done). */
  committedOffset: string | undefined;
  lastReadOffset: string | undefined;
  /** The partition's end (log end offset) as the last fetch saw it. */
  highWatermark: string | undefined;
}

export function emptyPartitionProgress(): KafkaPartitionProgress {
  return {
    recordsRead: 0,
    recordsProcessed: 0,
    recordsDiscarded: 0,
    committedOffset: undefined,
    lastReadOffset: undefined,
    highWatermark: undefined,
  };
}

/** Invocation figures of one mapping (a batch may hold several partitions). */
export interface KafkaInvocationCounts {
  invocations: number;
  failedInvocations: number;
  lastError: string | undefined;
}

/** Progress of one Kafka mapping: per `<topic>-<partition>`, and summed. */
export interface KafkaMappingProgress {
  readonly id: string;
  readonly functionName: string;
  readonly topic: string;
  readonly groupId: string;
  readonly partitions: Readonly<Record<string, Readonly<KafkaPartitionProgress>>>;
  readonly totals: {
    readonly partitions: number;
    readonly recordsRead: number;
    readonly recordsProcessed: number;
    readonly recordsDiscarded: number;
    readonly invocations: number;
    readonly failedInvocations: number;
    /**
     * Records past the committed offsets as far as the last fetches saw (Lambda's OffsetLag);
     * an estimate: `KafkaEventSourceMappingRunner.offsetLag()` asks the broker.
     */
    readonly offsetLag: number;
  };
  /** The last error of the consumer (connection, subscription, invocation). */
  readonly lastError: string | undefined;
}

export function summarizeKafka(
  mapping: { readonly id: string; readonly topic: string; readonly groupId: string },
  functionName: string,
  partitions: ReadonlyMap<number, KafkaPartitionProgress>,
  counts: Readonly<KafkaInvocationCounts>,
): KafkaMappingProgress {
  const all = [...partitions.values()];
  const sum = (pick: (p: KafkaPartitionProgress) => number) => all.reduce((n, p) => n + pick(p), 0);
  const lag = (p: KafkaPartitionProgress) =>
    p.highWatermark !== undefined && p.committedOffset !== undefined
      ? Math.max(0, Number(BigInt(p.highWatermark) - BigInt(p.committedOffset)))
      : p.recordsRead - p.recordsProcessed - p.recordsDiscarded;
  return {
    id: mapping.id,
    functionName,
    topic: mapping.topic,
    groupId: mapping.groupId,
    partitions: Object.fromEntries(
      [...partitions].sort(([a], [b]) => a - b).map(([n, p]) => [`${mapping.topic}-${n}`, { ...p }]),
    ),
    totals: {
      partitions: all.length,
      recordsRead: sum((p) => p.recordsRead),
      recordsProcessed: sum((p) => p.recordsProcessed),
      recordsDiscarded: sum((p) => p.recordsDiscarded),
      invocations: counts.invocations,
      failedInvocations: counts.failedInvocations,
      offsetLag: sum(lag),
    },
    lastError: counts.lastError,
  };
}
