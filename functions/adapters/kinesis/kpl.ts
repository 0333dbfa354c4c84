import kinesisAgg from 'aws-kinesis-agg';

/**
 * The parts of aws-kinesis-agg (CommonJS, its own typings omit RecordAggregator and name aws-sdk v2)
 * that Tributary uses, typed once here.
 */
interface LibUserRecord {
  readonly partitionKey: string;
  readonly explicitPartitionKey?: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number;
  readonly data: string;
}
interface LibRecordAggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  calculateUserRecordSize(record: { partitionKey: string; data: Buffer }): number;
  length(): number;
  build(): { partitionKey: string; data: Buffer } | undefined;
}
interface KinesisAggLibrary {
  deaggregate(
    record: { partitionKey: string; sequenceNumber: string; data: string },
    computeChecksums: boolean,
    perRecord: (error: Error | null, record?: LibUserRecord) => void,
    afterRecord: (error?: Error, failed?: LibUserRecord) => void,
  ): void;
  RecordAggregator: new () => LibRecordAggregator;
}
// The library's shape is checked once by the unit tests (a round trip through both halves).
const lib = kinesisAgg as unknown as KinesisAggLibrary;

/** The KPL aggregation format's magic number (amazon-kinesis-producer aggregation-format.md). */
export const KPL_MAGIC = Buffer.from('f3899ac2', 'hex');

/** True when the record data starts with the KPL magic number. */
export function isKplAggregated(data: Uint8Array): boolean {
  // Called for every record: no closure, no loop.
  return (
    data.length >= 4 &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

/** One user record unpacked from a KPL aggregated record. */
export interface KplUserRecord {
  readonly partitionKey: string;
  readonly subSequenceNumber: number;
  readonly data: Buffer;
}

/** Why an aggregated record could not be unpacked. */
export class KplDecodeError extends Error {
  constructor(
    readonly kind: 'checksum' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'KplDecodeError';
  }
}

/**
 * Unpacks a KPL aggregated record, verifying its MD5 checksum. All or nothing: a record whose
 * protobuf or checksum is wrong throws KplDecodeError (the library's callbacks are synchronous).
 */
export function deaggregate(record: {
  partitionKey: string;
  sequenceNumber: string;
  data: Buffer;
}): KplUserRecord[] {
  const out: KplUserRecord[] = [];
  let failure: Error | undefined;
  lib.deaggregate(
    {
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: record.data.toString('base64'),
    },
    true,
    (error, user) => {
      if (error) failure ??= error;
      else if (user) {
        out.push({
          partitionKey: user.partitionKey,
          subSequenceNumber: user.subSequenceNumber ?? out.length,
          data: Buffer.from(user.data, 'base64'),
        });
      }
    },
    (error) => {
      if (error) failure ??= error;
    },
  );
  if (failure) {
    const checksum = /checksum/i.test(failure.message);
    throw new KplDecodeError(
      checksum ? 'checksum' : 'corrupt',
      checksum
        ? 'KPL aggregated record: MD5 checksum does not match its protobuf payload'
        : `KPL aggregated record: protobuf payload cannot be decoded (${failure.message})`,
    );
  }
  return out;
}

/** One Kinesis record packing several user records (KPL format), for PutRecords. */
export interface AggregatedEntry {
  readonly partitionKey: string;
  readonly data: Buffer;
  /** Indexes (in the caller's list) of the user records inside. */
  readonly members: number[];
}

/**
 * Packs small user records into KPL aggregated records of at most `maxBytes` each (KPL's own
 * AggregationMaxSize default is 51,200). Only records with the same partition key share an
 * aggregate: the outer key picks the shard, and a key's windows must live in one shard's state.
 */
export function aggregateRecords(
  records: readonly { partitionKey: string; data: Buffer }[],
  maxBytes = 51_200,
): AggregatedEntry[] {
  const byKey = new Map<string, number[]>();
  records.forEach((record, index) => {
    const group = byKey.get(record.partitionKey);
    if (group) group.push(index);
    else byKey.set(record.partitionKey, [index]);
  });
  const entries: AggregatedEntry[] = [];
  // Magic number and MD5 checksum around the protobuf message.
  const overhead = KPL_MAGIC.length + 16;
  for (const indexes of byKey.values()) {
    let aggregator = new lib.RecordAggregator();
    let members: number[] = [];
    let bytes = overhead;
    const close = (): void => {
      const built = aggregator.build();
      if (built) entries.push({ partitionKey: built.partitionKey, data: built.data, members });
      aggregator = new lib.RecordAggregator();
      members = [];
      bytes = overhead;
    };
    for (const index of indexes) {
      const record = records[index] as { partitionKey: string; data: Buffer };
      const user = { partitionKey: record.partitionKey, data: record.data };
      const size = aggregator.calculateUserRecordSize(user);
      if (members.length > 0 && bytes + size > maxBytes) close();
      aggregator.addUserRecord(user);
      members.push(index);
      bytes += size;
    }
    close();
  }
  return entries;
}
