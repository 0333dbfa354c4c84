import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { readProducerEnv } from '../adapters/config.js';
import { createKafkaClient, readKafkaEnv } from '../adapters/kafka/kafka-client.js';
import {
  handleIngestRequest,
  type IngestDependencies,
  type IngestResponse,
} from '../adapters/producer/ingest-request.js';
import { kafkaWriter } from '../adapters/producer/kafka-writer.js';
import { kinesisWriter, type RecordWriter } from '../adapters/producer/record-writer.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();

/** Builds the handler around its dependencies, created once per container on first use. */
export function createProducerHandler(create: () => IngestDependencies) {
  let deps: IngestDependencies | undefined;
  return async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    // Anything else (a test invoke, another trigger) would fail on a missing field: say what we expect.
    const method: unknown = event?.requestContext?.http?.method;
    if (typeof method !== 'string' || typeof event.rawPath !== 'string') {
      return answer({
        statusCode: 400,
        body: { message: 'expected a Lambda function URL request (requestContext.http.method and rawPath)' },
      });
    }
    deps ??= create();
    const body = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    return answer(await handleIngestRequest({ method, path: event.rawPath, body }, deps));
  };
}

function answer(response: IngestResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(response.body),
  };
}

function writerFor(transport: 'kinesis' | 'msk'): RecordWriter {
  if (transport === 'kinesis') return kinesisWriter({ client: new KinesisClient({}) });
  // Idempotent: a request kafkajs retries after a lost answer is not written twice. Retries are
  // bounded (kafkajs' default for an idempotent producer is unbounded) so that a broker outage
  // gives the caller rejected entries with their reason before the function times out.
  const producer = createKafkaClient(readKafkaEnv(), 'tributary-producer').producer({
    idempotent: true,
    allowAutoTopicCreation: false,
    retry: { retries: 5 },
  });
  return kafkaWriter(producer);
}

/** Lambda function URL entry point (AWS_IAM auth). */
export const handler = createProducerHandler(() => {
  const env = readProducerEnv();
  return {
    streamNames: env.STREAM_NAMES,
    pipelineOf: (name) => getPipeline(name),
    writer: writerFor(env.TRANSPORT),
    logger,
  };
});
