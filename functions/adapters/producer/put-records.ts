import { PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { describeError } from '../errors.js';
import { aggregateRecords } from '../kinesis/kpl.js';
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from '../retry.js';
import { chunkBySize, type EntryFailure, sendWithRetries } from '../sinks/batching.js';

/** PutRecords limits: 500 records and 5 MiB per call, 1 MiB per record; partition keys count. */
export const KINESIS_LIMITS = {
  maxRecords: 500,
  maxBatchBytes: 5 * 1024 * 1024,
  maxRecordBytes: 1024 * 1024,
};

/** The call of a Kinesis client the producer makes (a real KinesisClient, or a stub). */
export interface KinesisProducerClient {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

/** One record to write. */
export interface ProducerEntry {
  readonly partitionKey: string;
  readonly data: Buffer;
}

export interface PutRecordsOptions {
  readonly client: KinesisProducerClient;
  readonly streamName: string;
  readonly backoff?: BackoffOptions;
  /**
   * KPL aggregation: records of at most `smallRecordBytes` with the same partition key are packed
   * into aggregated records of at most `maxBytes`. Off by default (consumers must de-aggregate;
   * Tributary's aggregator and Firehose with KPL-aware parsing do).
   */
  readonly aggregation?: { readonly smallRecordBytes?: number; readonly maxBytes?: number } | false;
}

/** Which entries were written and which were not, with the reason, by index in the input. */
export interface PutRecordsReport {
  readonly accepted: number[];
  readonly rejected: { readonly index: number; readonly reason: string }[];
  /** PutRecords calls made, retries included. */
  readonly calls: number;
}

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
]);

/** A wire record: an entry, or a KPL aggregate standing for several entries. */
interface WireRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly members: readonly number[];
}

function sizeOf(record: WireRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey);
}

function toWireRecords(entries: readonly ProducerEntry[], options: PutRecordsOptions): WireRecord[] {
  if (!options.aggregation)
    return entries.map((e, i) => ({ partitionKey: e.partitionKey, data: e.data, members: [i] }));
  const small = options.aggregation.smallRecordBytes ?? 10 * 1024;
  const smallIndexes: number[] = [];
  const wire: WireRecord[] = [];
  entries.forEach((e, i) => {
    if (e.data.length <= small) smallIndexes.push(i);
    else wire.push({ partitionKey: e.partitionKey, data: e.data, members: [i] });
  });
  const packed = aggregateRecords(
    smallIndexes.map((i) => entries[i] as ProducerEntry),
    options.aggregation.maxBytes,
  );
  for (const p of packed) {
    const members = p.members.map((m) => smallIndexes[m] as number);
    // A lone record gains nothing from the KPL wrapper: send it plain.
    const only = members.length === 1 ? entries[members[0] as number] : undefined;
    wire.push(only ? { partitionKey: only.partitionKey, data: only.data, members } : { ...p, members });
  }
  return wire;
}

/**
 * Writes records with PutRecords in batches of at most 500 records / 5 MiB, resending only the
 * entries Kinesis rejected (throttling, internal failures) with bounded exponential backoff and
 * full jitter. Never throws for rejected entries: they come back with their reason. A retried
 * entry may land after later entries of the same key (as with the KPL).
 *
 * A whole-call error other than throttling (the SDK client has retried it already) throws only
 * while nothing is written yet (AccessDenied, ResourceNotFound, ... on the first call), so
 * resending the request writes nothing twice. Once records are in the stream it is reported
 * instead: that call's entries and every later chunk's (not sent, as the error would most likely
 * repeat) come back rejected with it, so the caller resends only those.
 */
export async function putRecords(
  entries: readonly ProducerEntry[],
  options: PutRecordsOptions,
): Promise<PutRecordsReport> {
  const backoff: ResolvedBackoff = resolveBackoff(options.backoff);
  const accepted: number[] = [];
  const rejected: { index: number; reason: string }[] = [];
  let calls = 0;
  // Whether any record is in the stream, so a whole-call error must not throw the report away.
  let written = false;
  // The whole-call error that stopped the writing once something was written.
  let stoppedBy: string | undefined;
  const sendable: WireRecord[] = [];
  for (const record of toWireRecords(entries, options)) {
    if (sizeOf(record) > KINESIS_LIMITS.maxRecordBytes) {
      for (const m of record.members) {
        rejected.push({
          index: m,
          reason: `oversized: data and partition key must be at most ${KINESIS_LIMITS.maxRecordBytes} bytes (given ${sizeOf(record)})`,
        });
      }
    } else sendable.push(record);
  }
  for (const batch of chunkBySize(
    sendable,
    KINESIS_LIMITS.maxRecords,
    KINESIS_LIMITS.maxBatchBytes,
    sizeOf,
  )) {
    if (stoppedBy !== undefined) {
      const reason = `not sent: an earlier PutRecords call failed (${stoppedBy})`;
      for (const record of batch) for (const m of record.members) rejected.push({ index: m, reason });
      continue;
    }
    const outcome = await sendWithRetries(
      batch,
      async (pending): Promise<EntryFailure[]> => {
        calls += 1;
        let out: PutRecordsCommandOutput;
        try {
          out = await options.client.send(
            new PutRecordsCommand({
              StreamName: options.streamName,
              Records: pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
            }),
          );
        } catch (error) {
          const name = (error as { name?: unknown } | null)?.name;
          if (typeof name === 'string' && THROTTLES.has(name))
            return pending.map((_, index) => ({ index, error: `${name}: ${(error as Error).message}` }));
          if (!written) throw error;
          const reason = describeError(error);
          stoppedBy = reason;
          return pending.map((_, index) => ({ index, error: reason, retriable: false }));
        }
        if ((out.FailedRecordCount ?? 0) < pending.length) written = true;
        if (!out.FailedRecordCount) return [];
        const failed = (out.Records ?? []).flatMap((r, index) =>
          r.ErrorCode ? [{ index, error: `${r.ErrorCode}: ${r.ErrorMessage ?? ''}` }] : [],
        );
        return failed.length > 0
          ? failed
          : pending.map((_, index) => ({ index, error: `FailedRecordCount ${out.FailedRecordCount}` }));
      },
      backoff,
    );
    const failedAt = new Map(outcome.failures.map((f) => [f.index, f.error]));
    batch.forEach((record, i) => {
      const error = failedAt.get(i);
      for (const m of record.members) {
        if (error === undefined) accepted.push(m);
        else rejected.push({ index: m, reason: `${error} (after ${outcome.attempts} attempts)` });
      }
    });
  }
  accepted.sort((a, b) => a - b);
  rejected.sort((a, b) => a.index - b.index);
  return { accepted, rejected, calls };
}
