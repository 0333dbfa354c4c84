import type { KafkaMessage } from 'kafkajs';

/** One Kafka record as the runner keeps it between fetch and invocation. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  /** The offset as Kafka gives it (an int64 in decimal). */
  readonly offset: string;
  /** Epoch ms (the producer's CreateTime). */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In record order; a header sent twice appears twice. */
  readonly headers: readonly (readonly [string, Buffer])[];
}

/** What every event of one mapping carries besides its records. */
export interface MskEventSource {
  readonly eventSourceArn: string;
  /** The comma-separated broker list (the local broker here). */
  readonly bootstrapServers: string;
}

/** A fetched kafkajs message as a {@link KafkaRecord}. */
export function kafkaRecordOf(topic: string, partition: number, message: KafkaMessage): KafkaRecord {
  const headers: [string, Buffer][] = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    // kafkajs gathers the values of a repeated header name into an array.
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) headers.push([name, Buffer.isBuffer(v) ? v : Buffer.from(v)]);
    }
  }
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: Number(message.timestamp),
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
  };
}

/**
 * One record of the event, field for field (and in the order) of AWS's published MSK sample: key
 * and value base64 (each left out when null), offset a number, headers as one single-entry object
 * per header holding its bytes as a list of numbers.
 */
export function mskEventRecord(record: KafkaRecord) {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: record.timestamp,
    timestampType: 'CREATE_TIME' as const,
    ...(record.key === null ? {} : { key: record.key.toString('base64') }),
    ...(record.value === null ? {} : { value: record.value.toString('base64') }),
    headers: record.headers.map(([name, bytes]) => ({ [name]: [...bytes] })),
  };
}

/** The event Lambda invokes the function with: the batch grouped by `<topic>-<partition>`. */
export function mskEvent(records: readonly KafkaRecord[], source: MskEventSource) {
  const grouped: Record<string, ReturnType<typeof mskEventRecord>[]> = {};
  for (const record of records) {
    const key = `${record.topic}-${record.partition}`;
    grouped[key] ??= [];
    grouped[key].push(mskEventRecord(record));
  }
  return {
    eventSource: 'aws:kafka' as const,
    eventSourceArn: source.eventSourceArn,
    bootstrapServers: source.bootstrapServers,
    records: grouped,
  };
}

/**
 * A size of the record inside the event JSON that is never below it: base64 key and value, each
 * header byte as up to four characters ("255,"), names and topic quoted, plus the fixed fields.
 * Keeps a batch under Lambda's 6 MB request payload limit.
 */
export function mskRecordBytes(record: KafkaRecord): number {
  const base64 = (b: Buffer | null) => (b === null ? 0 : Math.ceil(b.byteLength / 3) * 4);
  let headers = 0;
  for (const [name, bytes] of record.headers)
    headers += Buffer.byteLength(JSON.stringify(name)) + 4 * bytes.byteLength + 8;
  return (
    base64(record.key) +
    base64(record.value) +
    headers +
    2 * Buffer.byteLength(JSON.stringify(record.topic)) +
    2 * record.offset.length +
    160
  );
}
