import type { DeliveryStreamConfig } from './config.js';
import { formatNumber, JqRuntimeError, type JsonValue } from './jq/index.js';

/** One sub-record ready for a buffer: its bytes (delimiter appended) and partition keys. */
export interface ProcessedRecord {
  readonly payload: Buffer;
  readonly partitionKeys: Readonly<Record<string, string>>;
}

/** Firehose's error output line for a record it could not process (written under ErrorOutputPrefix). */
export interface ErrorRecord {
  readonly attemptsMade: number;
  readonly arrivalTimestamp: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attemptEndingTimestamp: number;
  readonly rawData: string;
}

export type ProcessingResult =
  | { readonly ok: true; readonly records: readonly ProcessedRecord[] }
  | { readonly ok: false; readonly error: ErrorRecord };

const EXTRACTION_FAILED = 'DynamicPartitioning.MetadataExtractionFailed';

/**
 * Runs Firehose's processors on one incoming record in Firehose's order: RecordDeAggregation,
 * MetadataExtraction (per sub-record), AppendDelimiterToRecord. A record whose sub-records cannot be
 * split or partitioned goes whole to the error output, as Firehose does.
 */
export function processRecord(
  config: DeliveryStreamConfig,
  data: Buffer,
  arrivalMs: number,
  nowMs: number,
): ProcessingResult {
  const fail = (errorCode: string, errorMessage: string): ProcessingResult => ({
    ok: false,
    error: {
      attemptsMade: 1,
      arrivalTimestamp: arrivalMs,
      errorCode,
      errorMessage,
      attemptEndingTimestamp: nowMs,
      rawData: data.toString('base64'),
    },
  });
  let parts: Buffer[] = [data];
  if (config.deaggregation?.type === 'JSON') {
    const split = splitJsonObjects(data);
    // Firehose documents no code of its own for a failed split; RecordDeAggregation only exists with
    // dynamic partitioning, whose documented code and message for non-JSON input are these.
    if (split === undefined) return fail(EXTRACTION_FAILED, 'Non JSON record provided');
    parts = split;
  } else if (config.deaggregation?.type === 'DELIMITED') {
    parts = splitDelimited(data, config.deaggregation.delimiter);
  }
  // An empty or blank record (a Kafka tombstone becomes one) has no sub-record: Firehose delivers
  // records it cannot process to the error output rather than dropping them (same code as above).
  if (parts.length === 0) return fail(EXTRACTION_FAILED, 'RecordDeAggregation found no sub-record');
  const records: ProcessedRecord[] = [];
  for (const part of parts) {
    let partitionKeys: Record<string, string> = {};
    if (config.metadataQuery !== undefined) {
      const extracted = extractKeys(config, part);
      if (typeof extracted === 'string') return fail(EXTRACTION_FAILED, extracted);
      partitionKeys = extracted;
    }
    const payload =
      config.appendDelimiter === undefined
        ? part
        : Buffer.concat([part, Buffer.from(config.appendDelimiter)]);
    records.push({ payload, partitionKeys });
  }
  return { ok: true, records };
}

/** The partition keys of one sub-record, or the error message Firehose would report. */
function extractKeys(config: DeliveryStreamConfig, part: Buffer): Record<string, string> | string {
  let input: JsonValue;
  try {
    input = JSON.parse(part.toString('utf8')) as JsonValue;
  } catch {
    return 'Non JSON record provided';
  }
  let outputs: JsonValue[];
  try {
    outputs = config.metadataQuery?.filter(input) ?? [];
  } catch (error) {
    if (error instanceof JqRuntimeError) return error.message;
    throw error;
  }
  const result = outputs[0];
  if (outputs.length !== 1 || result === null || typeof result !== 'object' || Array.isArray(result)) {
    return `Metadata extraction query must produce exactly one JSON object (produced ${outputs.length} outputs)`;
  }
  const keys: Record<string, string> = {};
  for (const name of config.prefix.partitionKeys) {
    const value = result[name];
    if (value === undefined || value === null || value === '')
      return 'partitionKeys values must not be null or empty';
    if (typeof value === 'object') return `partition key ${name} must be a string, number or boolean`;
    keys[name] = typeof value === 'number' ? formatNumber(value) : String(value);
  }
  return keys;
}

/** Splits concatenated JSON objects (`{…}{…}` or one per line); undefined when the bytes are not that. */
export function splitJsonObjects(data: Buffer): Buffer[] | undefined {
  const text = data.toString('utf8');
  const parts: Buffer[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 0 && ch !== undefined && /\s/.test(ch)) continue;
    if (depth === 0 && ch !== '{') return undefined;
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) {
        const body = text.slice(start, i + 1);
        try {
          JSON.parse(body);
        } catch {
          return undefined;
        }
        parts.push(Buffer.from(body));
      }
    }
  }
  return depth === 0 && !inString ? parts : undefined;
}

function splitDelimited(data: Buffer, delimiter: string): Buffer[] {
  return data
    .toString('utf8')
    .split(delimiter)
    .filter((part) => part !== '')
    .map((part) => Buffer.from(part));
}
