import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { readProducerEnv } from '../adapters/config.js';
import { handleIngestRequest, type IngestDependencies } from '../adapters/producer/ingest-request.js';
import { getPipeline } from '../pipelines/index.js';

const logger = new Logger();

/** Builds the handler around its dependencies, created once per container on first use. */
export function createProducerHandler(create: () => IngestDependencies) {
  let deps: IngestDependencies | undefined;
  return async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    deps ??= create();
    const body = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    const response = await handleIngestRequest(
      { method: event.requestContext.http.method, path: event.rawPath, body },
      deps,
    );
    return {
      statusCode: response.statusCode,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(response.body),
    };
  };
}

/** Lambda function URL entry point (AWS_IAM auth). */
export const handler = createProducerHandler(() => ({
  streamNames: readProducerEnv().STREAM_NAMES,
  pipelineOf: (name) => getPipeline(name),
  client: new KinesisClient({}),
  logger,
}));
