import type { KinesisStreamRecord } from 'aws-lambda';
import type { KeyedRecord } from '../../core/types.js';
import { PoisonRecordError } from '../errors.js';
import {
  comparePositions,
  type DecodeOptions,
  decodeKinesisRecord,
  type RecordPosition,
} from '../kinesis/decode.js';
import { readEnvelope } from '../kinesis/envelope.js';
import { type AnyPipeline, validateEvent } from '../pipeline-event.js';
import type { DeadLetter } from '../sinks/dead-letter-sink.js';

/** A shard's records sorted into what to apply, what to dead-letter and what was applied before. */
export interface PreparedRecords {
  readonly valid: KeyedRecord[];
  /** Stream position of each valid record's event (by object identity), for late records. */
  readonly positions: Map<unknown, RecordPosition>;
  readonly poison: DeadLetter[];
  /** User records at or below the checkpoint: already applied by an earlier attempt. */
  readonly skipped: number;
  /** User records decoded (valid + poison), the skipped ones excluded. */
  readonly recordsIn: number;
  /** The last position in the batch (the new checkpoint), or undefined when all were skipped. */
  readonly lastPosition: RecordPosition | undefined;
  /** The first Kinesis record not applied yet: where a retry must start. */
  readonly firstUnapplied: string | undefined;
}

function parseEnvelope(pipeline: AnyPipeline, data: Buffer, arrivalTime: number, partitionKey: string) {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch (error) {
    return new PoisonRecordError('not-json', `data must be a JSON envelope (${(error as Error).message})`);
  }
  const envelope = readEnvelope(json);
  if (typeof envelope === 'string') {
    return new PoisonRecordError(
      'invalid-envelope',
      `data must be a {"v":1,"pipeline","key","ts","event"} envelope (${envelope})`,
    );
  }
  if (envelope.pipeline !== pipeline.name) {
    return new PoisonRecordError(
      'wrong-pipeline',
      `envelope pipeline must be ${pipeline.name} (given ${JSON.stringify(envelope.pipeline)})`,
    );
  }
  const parsed = validateEvent(pipeline, envelope.event, arrivalTime);
  if (!parsed.ok) return new PoisonRecordError('invalid-event', parsed.reason);
  if (parsed.key !== partitionKey) {
    // Another partition key may have put the record on another shard than its key's other records.
    return new PoisonRecordError(
      'invalid-envelope',
      `partition key must be the pipeline key ${JSON.stringify(parsed.key)} (given ${JSON.stringify(partitionKey)})`,
    );
  }
  return parsed;
}

/**
 * Decodes and validates one shard's records in order, skipping those at or below `checkpoint`.
 * Never throws for bad data: every failure becomes a dead letter with its reason.
 */
export function prepareRecords(
  records: readonly KinesisStreamRecord[],
  context: {
    readonly pipeline: AnyPipeline;
    readonly shard: string;
    readonly checkpoint: RecordPosition | null;
    readonly decode?: DecodeOptions;
  },
): PreparedRecords {
  const { pipeline, shard, checkpoint } = context;
  const out = {
    valid: [] as KeyedRecord[],
    positions: new Map<unknown, RecordPosition>(),
    poison: [] as DeadLetter[],
    skipped: 0,
    recordsIn: 0,
    lastPosition: undefined as RecordPosition | undefined,
    firstUnapplied: undefined as string | undefined,
  };
  // A shard's records come in sequence order: once one is past the checkpoint, all that follow are.
  let pastCheckpoint = checkpoint === null;
  for (const record of records) {
    for (const outcome of decodeKinesisRecord(record, context.decode)) {
      const position = outcome.ok ? outcome.record : outcome.position;
      if (!pastCheckpoint && checkpoint && comparePositions(position, checkpoint) <= 0) {
        out.skipped += 1;
        continue;
      }
      pastCheckpoint = true;
      out.firstUnapplied ??= record.kinesis.sequenceNumber;
      out.lastPosition = {
        sequenceNumber: position.sequenceNumber,
        subSequenceNumber: position.subSequenceNumber,
      };
      out.recordsIn += 1;
      const parsed = outcome.ok
        ? parseEnvelope(
            pipeline,
            outcome.record.data,
            outcome.record.arrivalTime,
            outcome.record.partitionKey,
          )
        : outcome.error;
      if (parsed instanceof PoisonRecordError) {
        out.poison.push({
          reason: `${parsed.reason}: ${parsed.message}`,
          pipeline: pipeline.name,
          shard,
          sequence_number: position.sequenceNumber,
          ...(position.subSequenceNumber === undefined
            ? {}
            : { sub_sequence_number: position.subSequenceNumber }),
          data_base64: outcome.ok ? outcome.record.data.toString('base64') : outcome.dataBase64,
          approximate_arrival: outcome.ok ? outcome.record.arrivalTime : outcome.arrivalTime,
        });
        continue;
      }
      out.valid.push({ key: parsed.key, ts: parsed.ts, value: parsed.event });
      if (typeof parsed.event === 'object' && parsed.event !== null)
        out.positions.set(parsed.event, out.lastPosition);
    }
  }
  return out;
}
