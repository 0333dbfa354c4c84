import type { StreamRecord } from '../kinesis/index.js';

/** What every record of one mapping's events shares. */
export interface EventSourceContext {
  readonly shardId: string;
  readonly streamArn: string;
  readonly region: string;
  /** The function's execution role (Lambda puts it in every record). */
  readonly invokeIdentityArn: string;
}

/** The tumbling window part of an event (TumblingWindowInSeconds > 0). */
export interface TumblingWindowFields {
  readonly window: { readonly start: string; readonly end: string };
  readonly state: Readonly<Record<string, unknown>>;
  readonly isFinalInvokeForWindow: boolean;
  readonly isWindowTerminatedEarly: boolean;
}

/** One entry of `Records`, field for field (and in the order) of AWS's published sample event. */
export function kinesisEventRecord(record: StreamRecord, source: EventSourceContext) {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: Buffer.from(record.data).toString('base64'),
      // Fractional epoch seconds, millisecond precision.
      approximateArrivalTimestamp: record.approximateArrivalTimestamp / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
}

/**
 * The event Lambda invokes the function with for one batch of one shard. With a tumbling window
 * it also carries the window, the state returned by the previous invocation of that window, the
 * shard id, the stream ARN and the two end-of-window flags.
 */
export function kinesisEvent(
  records: readonly StreamRecord[],
  source: EventSourceContext,
  tumbling?: TumblingWindowFields,
) {
  const Records = records.map((r) => kinesisEventRecord(r, source));
  if (!tumbling) return { Records };
  return {
    Records,
    window: tumbling.window,
    state: tumbling.state,
    shardId: source.shardId,
    eventSourceARN: source.streamArn,
    isFinalInvokeForWindow: tumbling.isFinalInvokeForWindow,
    isWindowTerminatedEarly: tumbling.isWindowTerminatedEarly,
  };
}

/** Lambda writes window bounds as ISO-8601 UTC without milliseconds ("2020-12-09T07:04:00Z"). */
export function windowTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The bytes a string takes in the event: UTF-8, quoted and escaped. */
const jsonStringBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text));

/**
 * A conservative size of a record inside the event JSON (never below it, comma included): its
 * base64 data, its partition key as UTF-8 JSON (a key of 256 CJK characters takes ~770 bytes, not
 * 256), plus the fixed fields. Used to keep an invocation under Lambda's 6 MB request payload limit.
 */
export function eventRecordBytes(record: StreamRecord, source: EventSourceContext): number {
  const base64 = Math.ceil(record.data.byteLength / 3) * 4;
  return (
    base64 +
    jsonStringBytes(record.partitionKey) +
    2 * record.sequenceNumber.length +
    jsonStringBytes(source.streamArn) +
    jsonStringBytes(source.invokeIdentityArn) +
    jsonStringBytes(source.region) +
    source.shardId.length +
    320
  );
}
