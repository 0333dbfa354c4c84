import type {
  IteratorPosition,
  ShardSource,
  StreamRecord,
} from '../../../../local/runtime/kinesis/shard-source.js';

/**
 * An in-memory stream for unit tests of the runner: open shards whose records the test appends.
 * Iterators are `<shard>@<index>`; GetRecords returns at most `pageSize` records per call.
 */
export class FakeShards implements ShardSource {
  private readonly shards = new Map<string, StreamRecord[]>();
  private readonly parents = new Map<string, string>();
  private readonly closed = new Set<string>();
  private next = 1;
  getRecordsCalls = 0;
  /** Names of errors to throw from the next GetRecords calls, one per call. */
  readonly failNextGetRecords: string[] = [];

  constructor(
    shardIds: readonly string[],
    private readonly pageSize = 25,
  ) {
    for (const id of shardIds) this.shards.set(id, []);
  }

  /** Appends a record whose data is `body` as JSON; returns its sequence number. */
  put(shardId: string, partitionKey: string, body: unknown, arrivalMs = Date.now()): string {
    const sequenceNumber = `4959${String(this.next++).padStart(20, '0')}`;
    this.shard(shardId).push({
      sequenceNumber,
      partitionKey,
      data: new TextEncoder().encode(JSON.stringify(body)),
      approximateArrivalTimestamp: arrivalMs,
    });
    return sequenceNumber;
  }

  /** Closes `parent` and opens `child` (a split, as UpdateShardCount would). */
  reshard(parent: string, child: string): void {
    this.closed.add(parent);
    this.shards.set(child, []);
    this.parents.set(child, parent);
  }

  async listShards() {
    return [...this.shards.keys()].map((shardId) => ({ shardId, parentShardId: this.parents.get(shardId) }));
  }

  async getIterator(shardId: string, position: IteratorPosition) {
    const records = this.shard(shardId);
    let index = 0;
    if (position.type === 'LATEST') index = records.length;
    if (position.type === 'AFTER_SEQUENCE_NUMBER') {
      index = records.findIndex((r) => r.sequenceNumber === position.sequenceNumber) + 1;
    }
    if (position.type === 'AT_TIMESTAMP') {
      index = records.findIndex((r) => r.approximateArrivalTimestamp >= position.timestampMs);
      if (index < 0) index = records.length;
    }
    return `${shardId}@${index}`;
  }

  async getRecords(iterator: string, limit: number) {
    this.getRecordsCalls += 1;
    const failure = this.failNextGetRecords.shift();
    if (failure) throw Object.assign(new Error(`injected ${failure}`), { name: failure });
    const [shardId = '', at = '0'] = iterator.split('@');
    const all = this.shard(shardId);
    const records = all.slice(Number(at), Number(at) + Math.min(limit, this.pageSize));
    const end = Number(at) + records.length;
    const nextIterator = this.closed.has(shardId) && end >= all.length ? undefined : `${shardId}@${end}`;
    const tipAsOf = end >= all.length ? Date.now() : undefined;
    return { records, nextIterator, millisBehindLatest: 0, tipAsOf };
  }

  private shard(id: string): StreamRecord[] {
    const records = this.shards.get(id);
    if (!records) throw new Error(`no shard ${id}`);
    return records;
  }
}
