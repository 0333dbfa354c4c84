import type { IteratorPosition, RecordsPage, ShardSource, StreamRecord } from './shard-source.js';

/** Records kept per shard for the readers behind the fastest one. */
const DEFAULT_MAX_RECORDS_PER_SHARD = 20_000;

/** Where an iterator handed out here stands. */
type Position =
  /** After this record (undefined: before the shard's first record, TRIM_HORIZON). */
  | { readonly kind: 'after'; readonly sequenceNumber: string | undefined }
  /** Somewhere only Kinesis knows (LATEST, AT_TIMESTAMP): read through the real iterator. */
  | { readonly kind: 'real'; readonly iterator: string };

/** The records of one shard read so far, contiguous from `before` (exclusive). */
interface ShardLog {
  /** The record before the first kept one (undefined: the shard's start). */
  before: string | undefined;
  readonly records: StreamRecord[];
  /** Real iterator just after the last kept record; undefined once a closed shard was read to its end. */
  tip: string | undefined;
  ended: boolean;
  /** When the last real read that reached the tip was sent: the log holds every record written before. */
  tipAsOf: number | undefined;
  /** The real read in flight from the tip, shared by readers that arrive meanwhile. */
  reading: Promise<void> | undefined;
}

const PREFIX = 'shared:';

function encode(shardId: string, position: Position): string {
  return `${PREFIX}${JSON.stringify([shardId, position])}`;
}

/** Kinesis' iterator position after a record (undefined: the shard's start). */
function positionAfter(sequenceNumber: string | undefined): IteratorPosition {
  return sequenceNumber === undefined
    ? { type: 'TRIM_HORIZON' }
    : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber };
}

function decode(iterator: string): [string, Position] {
  if (!iterator.startsWith(PREFIX)) throw new Error(`not an iterator of SharedShardReads: ${iterator}`);
  return JSON.parse(iterator.slice(PREFIX.length)) as [string, Position];
}

/**
 * One stream's GetRecords shared by every local consumer of it (the event source mapping and the
 * raw Firehose): each record is read from Kinesis once and handed to each reader at its own position,
 * as if each had read it. kinesis-mock spends ~12 ms of its single thread per call and ~0.13 ms per
 * record it returns, time the producer's PutRecords waits for; two readers each reading everything
 * doubled it.
 *
 * Readers see Kinesis' semantics: per-shard order, pages of at most `limit`, a page's `tipAsOf` from
 * the real read that found the tip (so "read to the tip" still means it), resumption after any
 * sequence number. What was read is kept per shard (the last `maxRecordsPerShard`); a reader further behind,
 * or at a position only Kinesis can resolve (LATEST, AT_TIMESTAMP), reads through to Kinesis.
 */
export class SharedShardReads {
  private readonly logs = new Map<string, ShardLog>();
  /** A shard's first read in flight: readers that arrive meanwhile wait for its log. */
  private readonly starting = new Map<string, Promise<unknown>>();
  /** GetRecords calls made to Kinesis, and records they returned (for tests and the curious). */
  readonly stats = { realReads: 0, recordsFetched: 0, recordsServed: 0 };

  constructor(
    private readonly real: ShardSource,
    private readonly maxRecordsPerShard = DEFAULT_MAX_RECORDS_PER_SHARD,
  ) {}

  /**
   * The ShardSource one consumer reads through. With `maxStalenessMs`, a reader that has everything
   * read so far is answered from it, without a call to Kinesis, while the last read that found the
   * tip is at most that old: for a reader that may lag (the raw Firehose buffers for a minute)
   * behind one that reads often (the mapping), so that only the latter's reads cost kinesis-mock.
   */
  source(options: { readonly maxStalenessMs?: number } = {}): ShardSource {
    const maxStalenessMs = options.maxStalenessMs ?? 0;
    return {
      listShards: (signal) => this.real.listShards(signal),
      getIterator: (shardId, position, signal) => this.getIterator(shardId, position, signal),
      getRecords: (iterator, limit, signal) => this.getRecords(iterator, limit, maxStalenessMs, signal),
    };
  }

  private async getIterator(shardId: string, position: IteratorPosition, signal?: AbortSignal) {
    if (position.type === 'TRIM_HORIZON')
      return encode(shardId, { kind: 'after', sequenceNumber: undefined });
    if (position.type === 'AFTER_SEQUENCE_NUMBER') {
      return encode(shardId, { kind: 'after', sequenceNumber: position.sequenceNumber });
    }
    return encode(shardId, {
      kind: 'real',
      iterator: await this.real.getIterator(shardId, position, signal),
    });
  }

  private async getRecords(
    iterator: string,
    limit: number,
    maxStalenessMs: number,
    signal?: AbortSignal,
  ): Promise<RecordsPage> {
    const [shardId, position] = decode(iterator);
    if (position.kind === 'real') return this.readThrough(shardId, position.iterator, limit, signal);
    const log = this.logs.get(shardId);
    if (!log) {
      const first = this.starting.get(shardId);
      // The mapping and the Firehose start together: the second waits for the first one's read.
      if (first) {
        // Whether that read worked or not, this one starts over (from its log, or with a read of its own).
        const again = () => this.getRecords(iterator, limit, maxStalenessMs, signal);
        return first.then(again, again);
      }
      const started = this.startLog(shardId, position.sequenceNumber, limit, signal);
      this.starting.set(shardId, started);
      return started.finally(() => this.starting.delete(shardId));
    }
    const index = this.indexAfter(log, position.sequenceNumber);
    if (index === undefined) return this.startLog(shardId, position.sequenceNumber, limit, signal);
    const recentTip = log.tipAsOf !== undefined && Date.now() - log.tipAsOf < maxStalenessMs;
    if (index === log.records.length && !log.ended && !recentTip) {
      // At the tip: one real read for everyone waiting here.
      log.reading ??= this.readTip(shardId, log, signal).finally(() => {
        log.reading = undefined;
      });
      await log.reading;
      const after = position.sequenceNumber;
      return this.serve(shardId, log, this.indexAfter(log, after) ?? 0, after, limit, true);
    }
    return this.serve(shardId, log, index, position.sequenceNumber, limit, recentTip);
  }

  /** Index of the first kept record after `sequenceNumber`; undefined when the log does not reach it. */
  private indexAfter(log: ShardLog, sequenceNumber: string | undefined): number | undefined {
    if (sequenceNumber === log.before) return 0;
    if (sequenceNumber === undefined) return undefined;
    // Readers are mostly at or near the end: search from there.
    for (let i = log.records.length - 1; i >= 0; i -= 1) {
      if (log.records[i]?.sequenceNumber === sequenceNumber) return i + 1;
    }
    return undefined;
  }

  /** Up to `limit` kept records from `index` to a reader standing after `after`. */
  private serve(
    shardId: string,
    log: ShardLog,
    index: number,
    after: string | undefined,
    limit: number,
    fresh: boolean,
  ): RecordsPage {
    const records = log.records.slice(index, index + limit);
    this.stats.recordsServed += records.length;
    const last = records.at(-1);
    const atEnd = index + records.length === log.records.length;
    if (atEnd && log.ended) return { records, nextIterator: undefined, millisBehindLatest: 0 };
    const tail = log.records.at(-1);
    return {
      records,
      nextIterator: encode(shardId, { kind: 'after', sequenceNumber: last?.sequenceNumber ?? after }),
      // At the tip only right after a real read, or one recent enough for this reader.
      millisBehindLatest:
        atEnd && fresh
          ? 0
          : Math.max(1, (tail?.approximateArrivalTimestamp ?? 0) - (last?.approximateArrivalTimestamp ?? 0)),
      // A reader at the log's end has what the log has: everything written before its last tip read
      // (which may have been sent before this reader asked, when it joined a read in flight).
      tipAsOf: atEnd ? log.tipAsOf : undefined,
    };
  }

  /** A first read of a shard (or from before what is kept): from Kinesis, and kept from there on. */
  private async startLog(
    shardId: string,
    after: string | undefined,
    limit: number,
    signal?: AbortSignal,
  ): Promise<RecordsPage> {
    const iterator = await this.real.getIterator(shardId, positionAfter(after), signal);
    const page = await this.fetch(iterator, limit, signal);
    if (!this.logs.has(shardId)) {
      this.logs.set(shardId, {
        before: after,
        records: [...page.records],
        tip: page.nextIterator,
        ended: page.nextIterator === undefined,
        tipAsOf: page.tipAsOf,
        reading: undefined,
      });
    }
    this.stats.recordsServed += page.records.length;
    const last = page.records.at(-1)?.sequenceNumber ?? after;
    return {
      ...page,
      nextIterator:
        page.nextIterator === undefined
          ? undefined
          : encode(shardId, { kind: 'after', sequenceNumber: last }),
    };
  }

  /** Reads on from the log's tip and appends what came; drops the oldest records past the limit. */
  private async readTip(shardId: string, log: ShardLog, signal?: AbortSignal): Promise<void> {
    const lastKept = log.records.at(-1)?.sequenceNumber ?? log.before;
    const iterator = log.tip ?? (await this.real.getIterator(shardId, positionAfter(lastKept), signal));
    let page: RecordsPage;
    try {
      page = await this.fetch(iterator, 10_000, signal);
    } catch (error) {
      // An expired (or otherwise refused) tip iterator is renewed from the last kept record next time.
      log.tip = undefined;
      throw error;
    }
    log.records.push(...page.records);
    log.tip = page.nextIterator;
    log.tipAsOf = page.tipAsOf ?? log.tipAsOf;
    log.ended = page.nextIterator === undefined;
    const excess = log.records.length - this.maxRecordsPerShard;
    if (excess > 0) log.before = log.records.splice(0, excess).at(-1)?.sequenceNumber;
  }

  /** LATEST / AT_TIMESTAMP: read through with the real iterator until a record fixes the position. */
  private async readThrough(
    shardId: string,
    iterator: string,
    limit: number,
    signal?: AbortSignal,
  ): Promise<RecordsPage> {
    const page = await this.fetch(iterator, limit, signal);
    this.stats.recordsServed += page.records.length;
    const last = page.records.at(-1)?.sequenceNumber;
    let nextIterator: string | undefined;
    if (page.nextIterator !== undefined) {
      nextIterator =
        last === undefined
          ? encode(shardId, { kind: 'real', iterator: page.nextIterator })
          : encode(shardId, { kind: 'after', sequenceNumber: last });
    }
    return { ...page, nextIterator };
  }

  private async fetch(iterator: string, limit: number, signal?: AbortSignal): Promise<RecordsPage> {
    const page = await this.real.getRecords(iterator, limit, signal);
    this.stats.realReads += 1;
    this.stats.recordsFetched += page.records.length;
    return page;
  }
}
