/** Where window results and late records go: newline-delimited JSON, one object per record. */
export interface RecordSink {
  /**
   * Delivers every record or throws (DeliveryError when entries kept failing). Records that can
   * never be delivered (larger than the service allows) are returned, not thrown, so the caller
   * can dead-letter them instead of blocking the shard.
   */
  put(records: readonly object[]): Promise<{ readonly tooLarge: readonly object[] }>;
}

/** A RecordSink in memory (tests, benchmarks). */
export class MemoryRecordSink implements RecordSink {
  readonly records: object[] = [];
  /** Number of put calls with at least one record. */
  calls = 0;

  async put(records: readonly object[]): Promise<{ readonly tooLarge: readonly object[] }> {
    if (records.length > 0) this.calls += 1;
    // A JSON round trip, like the real sink: callers must not rely on object identity.
    for (const record of records) this.records.push(JSON.parse(JSON.stringify(record)));
    return { tooLarge: [] };
  }
}
