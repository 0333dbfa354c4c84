import { existsSync } from 'node:fs';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { encodeEnvelope } from '../../../functions/adapters/kinesis/envelope.js';
import type { ProducerEntry } from '../../../functions/adapters/producer/put-records.js';
import { kinesisWriter, type RecordWriter } from '../../../functions/adapters/producer/record-writer.js';
import type { AnyPipeline } from '../../../functions/pipelines/index.js';
import type { InputRecord } from './input.js';
import { type ProducerState, producerStateSchema, readJsonFile, writeJsonAtomic } from './run-folder.js';
import { forEachStreamRecord } from './stream-reader.js';

/** What the producer did in this process. */
export interface ProduceOutcome {
  /** Records the stream holds from this run (all processes). */
  readonly accepted: number;
  /** Input lines the pipeline refused (never written), with the reason. */
  readonly invalid: { readonly index: number; readonly reason: string }[];
  /** Valid records the stream refused after retries. */
  readonly refused: { readonly index: number; readonly reason: string }[];
  /** Input lines skipped because an earlier (killed) process had produced them. */
  readonly resumedFrom: number;
}

/** Where the producer writes and how it counts what the stream already holds (to resume). */
export interface ProduceTarget {
  readonly writer: RecordWriter;
  /** The stream or topic name. */
  readonly streamName: string;
  /** Records the stream or topic holds now. */
  countRecords(): Promise<number>;
}

/** A Kinesis stream as the producer's target (PutRecords batching of the producer adapter). */
export function kinesisTarget(kinesis: KinesisClient, streamName: string): ProduceTarget {
  return {
    writer: kinesisWriter({ client: kinesis }),
    streamName,
    countRecords: async () => (await readStreamContents(kinesis, streamName)).total,
  };
}

export interface ProduceOptions {
  readonly pipeline: AnyPipeline;
  readonly input: readonly InputRecord[];
  readonly target: ProduceTarget;
  /** events/s; 0 = unpaced. */
  readonly rate: number;
  /** `<run>/producer.json`: lets a restarted run skip what was produced. @default none kept */
  readonly stateFile?: string;
  readonly onProgress?: (accepted: number) => void;
  readonly signal?: AbortSignal;
}

/** The records of a stream: how many, and the last sequence number of each shard. */
export interface StreamContents {
  readonly total: number;
  readonly lastSequenceNumbers: Readonly<Record<string, string>>;
}

/** Reads every shard from the trim horizon to its tip: counts the records and finds each shard's last one. */
export async function readStreamContents(
  kinesis: KinesisClient,
  streamName: string,
): Promise<StreamContents> {
  let total = 0;
  const lastSequenceNumbers: Record<string, string> = {};
  await forEachStreamRecord(kinesis, streamName, (shardId, record) => {
    total += 1;
    if (record.SequenceNumber) lastSequenceNumbers[shardId] = record.SequenceNumber;
  });
  return { total, lastSequenceNumbers };
}

/**
 * A batch was in flight when the last process died: the stream's record count says whether it
 * landed (all of it: LocalStack applies a PutRecords call whole, a Kafka broker a produce request) or not. Anything else cannot be
 * repaired by resending and is an error, never a silent double count.
 */
async function settlePending(state: ProducerState, options: ProduceOptions): Promise<ProducerState> {
  if (!state.pending) return state;
  const inStream = await options.target.countRecords();
  const { from, to, records } = state.pending;
  if (inStream === state.accepted + records) return { sent: to, accepted: inStream, pending: null };
  if (inStream === state.accepted) return { sent: from, accepted: inStream, pending: null };
  throw new Error(
    `cannot resume: the stream holds ${inStream} records; expected ${state.accepted} (last batch lost) or ${state.accepted + records} (last batch written)`,
  );
}

/** Input lines `from` .. `from + size` as envelopes; the lines the pipeline refuses go to `invalid`. */
function encodeBatch(
  pipeline: AnyPipeline,
  input: readonly InputRecord[],
  from: number,
  size: number,
  invalid: ProduceOutcome['invalid'],
): { from: number; to: number; entries: ProducerEntry[]; origin: number[] } {
  const to = Math.min(input.length, from + size);
  const entries: ProducerEntry[] = [];
  const origin: number[] = [];
  for (let i = from; i < to; i += 1) {
    const record = input[i] as InputRecord;
    const parsed = pipeline.parse(record.text, record.arrivalMs);
    if (!parsed.ok) {
      invalid.push({ index: i, reason: parsed.reason });
      continue;
    }
    const { key, ts, event } = parsed;
    entries.push({ partitionKey: key, data: encodeEnvelope({ pipeline: pipeline.name, key, ts, event }) });
    origin.push(i);
  }
  return { from, to, entries, origin };
}

/**
 * Writes the input to the stream or topic as envelopes (partition key = pipeline key) with the
 * producer adapter's batching, paced at `rate`, recording its position after every call so a run killed
 * mid-way resumes without producing a record twice.
 */
export async function produceInput(options: ProduceOptions): Promise<ProduceOutcome> {
  const { pipeline, input, rate } = options;
  const file = options.stateFile;
  const save = (s: ProducerState) => {
    if (file) writeJsonAtomic(file, s);
  };
  let state: ProducerState =
    file && existsSync(file)
      ? readJsonFile(file, producerStateSchema)
      : { sent: 0, accepted: 0, pending: null };
  state = await settlePending(state, options);
  save(state);
  const resumedFrom = state.sent;
  const invalid: ProduceOutcome['invalid'] = [];
  const refused: ProduceOutcome['refused'] = [];
  const batchSize = rate > 0 ? Math.max(1, Math.min(500, Math.round(rate / 2))) : 500;
  const started = Date.now();
  let sentHere = 0;
  // The next batch is encoded while the current PutRecords is in flight: kinesis-mock is the
  // bottleneck of a local run, and it would otherwise wait for the producer between calls.
  let batch =
    state.sent < input.length ? encodeBatch(pipeline, input, state.sent, batchSize, invalid) : undefined;
  while (batch) {
    if (options.signal?.aborted) break;
    const { from, to, entries, origin } = batch;
    state = { ...state, pending: { from, to, records: entries.length } };
    save(state);
    const sending = options.target.writer.write(options.target.streamName, entries);
    sending.catch(() => {}); // awaited below; a failure meanwhile is not an unhandled rejection
    await setImmediate(); // the request goes out before the CPU work below
    batch = to < input.length ? encodeBatch(pipeline, input, to, batchSize, invalid) : undefined;
    const report = await sending;
    for (const r of report.rejected) refused.push({ index: origin[r.index] ?? -1, reason: r.reason });
    state = { sent: to, accepted: state.accepted + report.accepted.length, pending: null };
    save(state);
    options.onProgress?.(state.accepted);
    sentHere += to - from;
    if (rate > 0) {
      const due = started + (sentHere / rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }
  return { accepted: state.accepted, invalid, refused, resumedFrom };
}
