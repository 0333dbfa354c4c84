import { encodeEnvelope } from '../kinesis/envelope.js';
import { type AnyPipeline, validateEvent } from '../pipeline-event.js';
import type { ProducerEntry } from './put-records.js';
import type { RecordWriter } from './record-writer.js';

/** The producer's answer: which events were written, which were not and why (by input index). */
export interface ProduceReport {
  readonly pipeline: string;
  readonly accepted: number;
  readonly rejected: { readonly index: number; readonly reason: string }[];
  /** Write requests made (PutRecords calls or Kafka produce requests). */
  readonly calls: number;
}

/**
 * Validates each event against the pipeline (schema, key, event time), wraps the valid ones in
 * the envelope with partition key = pipeline key and writes them to the stream or topic. Invalid events are
 * reported, never written: the stream only carries events the pipeline accepts.
 */
export async function produceEvents(
  pipeline: AnyPipeline,
  events: readonly unknown[],
  options: { readonly writer: RecordWriter; readonly stream: string; readonly now?: () => number },
): Promise<ProduceReport> {
  const rejected: { index: number; reason: string }[] = [];
  const entries: ProducerEntry[] = [];
  const origin: number[] = [];
  const arrival = (options.now ?? Date.now)();
  events.forEach((candidate, index) => {
    const parsed = validateEvent(pipeline, candidate, arrival);
    if (!parsed.ok) {
      rejected.push({ index, reason: `invalid-event: ${parsed.reason}` });
      return;
    }
    entries.push({
      partitionKey: parsed.key,
      data: encodeEnvelope({ pipeline: pipeline.name, key: parsed.key, ts: parsed.ts, event: parsed.event }),
    });
    origin.push(index);
  });
  const report = await options.writer.write(options.stream, entries);
  for (const r of report.rejected) rejected.push({ index: origin[r.index] as number, reason: r.reason });
  rejected.sort((a, b) => a.index - b.index);
  return { pipeline: pipeline.name, accepted: report.accepted.length, rejected, calls: report.calls };
}
