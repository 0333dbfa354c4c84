import { z } from 'zod';
import type { LoggerLike } from '../aggregator/dependencies.js';
import type { AnyPipeline } from '../pipeline-event.js';
import { produceEvents } from './produce-events.js';
import type { RecordWriter } from './record-writer.js';

/** One HTTP request as the ingest endpoint sees it (already base64-decoded). */
export interface IngestRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/** The HTTP answer: status and a JSON body. */
export interface IngestResponse {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

export interface IngestDependencies {
  /** Pipeline name -> Kinesis stream or Kafka topic name (STREAM_NAMES). */
  readonly streamNames: Readonly<Record<string, string>>;
  /** Throws for an unknown name. */
  readonly pipelineOf: (name: string) => AnyPipeline;
  readonly writer: RecordWriter;
  readonly logger?: LoggerLike;
}

/** At most this many events per request (a function URL body is at most 6 MB anyway). */
export const MAX_EVENTS_PER_REQUEST = 10_000;

const PATH = /^\/pipelines\/([a-z][a-z0-9-]*)\/events\/?$/;
const events = z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_REQUEST);
const bodySchema = z.union([
  z.object({ pipeline: z.string().min(1).optional(), events }),
  events.transform((list) => ({ pipeline: undefined, events: list })),
]);

const bad = (statusCode: number, message: string): IngestResponse => ({ statusCode, body: { message } });

/**
 * The producer endpoint: `POST /` with `{"pipeline","events":[...]}`, or `POST
 * /pipelines/<name>/events` with `{"events":[...]}` or a bare array. 200 when every event was
 * written, 207 when some were rejected (each with its index and reason), 4xx for a bad request.
 */
export async function handleIngestRequest(
  request: IngestRequest,
  deps: IngestDependencies,
): Promise<IngestResponse> {
  if (request.method.toUpperCase() !== 'POST')
    return bad(405, `method must be POST (given ${request.method})`);
  const fromPath = PATH.exec(request.path)?.[1];
  if (fromPath === undefined && request.path !== '/' && request.path !== '') {
    return bad(404, `path must be / or /pipelines/<name>/events (given ${request.path})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch (error) {
    return bad(400, `body must be JSON (${(error as Error).message})`);
  }
  const parsed = bodySchema.safeParse(json);
  if (!parsed.success) {
    return bad(
      400,
      `body must be {"pipeline","events":[1..${MAX_EVENTS_PER_REQUEST} events]}: ${z.prettifyError(parsed.error)}`,
    );
  }
  const name = fromPath ?? parsed.data.pipeline;
  if (name === undefined)
    return bad(400, 'pipeline must be named in the body or the path /pipelines/<name>/events');
  if (parsed.data.pipeline !== undefined && fromPath !== undefined && parsed.data.pipeline !== fromPath) {
    return bad(400, `pipeline in the body (${parsed.data.pipeline}) and in the path (${fromPath}) differ`);
  }
  const streamName = deps.streamNames[name];
  let pipeline: AnyPipeline;
  try {
    pipeline = deps.pipelineOf(name);
  } catch (error) {
    return bad(404, (error as Error).message);
  }
  if (streamName === undefined) return bad(404, `pipeline ${name} has no stream in this deployment`);
  const report = await produceEvents(pipeline, parsed.data.events, {
    writer: deps.writer,
    stream: streamName,
  });
  deps.logger?.info('events produced', {
    pipeline: name,
    accepted: report.accepted,
    rejected: report.rejected.length,
  });
  return {
    statusCode: report.rejected.length === 0 ? 200 : 207,
    body: { pipeline: name, accepted: report.accepted, rejected: report.rejected },
  };
}
