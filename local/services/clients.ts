import { FirehoseClient, type FirehoseClientConfig } from '@aws-sdk/client-firehose';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { ServiceConfigError } from './errors.js';
import { externalLocalstackEndpoint } from './external-localstack.js';
import {
  type KafkaState,
  type LocalstackState,
  readState,
  type ServicesState,
  stateFile,
} from './state-file.js';

/** The region every local client uses; LocalStack keeps resources per region. */
export const LOCAL_REGION = 'us-east-1';

/** The running services as `tributary services up` recorded them (validated). */
export function readServices(path = stateFile()): ServicesState {
  return readState(path);
}

function localstack(path?: string): LocalstackState {
  const entry = readServices(path).localstack;
  if (!entry) {
    throw new ServiceConfigError(
      `LocalStack is not running (no "localstack" entry in ${path ?? stateFile()}): run \`npx tributary services up\``,
    );
  }
  return entry;
}

function kafkaState(path?: string): KafkaState {
  const entry = readServices(path).kafka;
  if (!entry) {
    throw new ServiceConfigError(
      `Kafka is not running (no "kafka" entry in ${path ?? stateFile()}): run \`npx tributary services up\``,
    );
  }
  return entry;
}

/**
 * The settings every AWS SDK client needs against LocalStack: its endpoint on 127.0.0.1 (or
 * TRIBUTARY_LOCALSTACK_ENDPOINT's), the region, and dummy credentials (LocalStack accepts any;
 * `test` maps to account 000000000000).
 */
export function localAwsConfig(path?: string) {
  return {
    endpoint: externalLocalstackEndpoint() ?? localstack(path).endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
}

/**
 * Kinesis over HTTP/1.1: the SDK's Kinesis client would speak HTTP/2, which local endpoints
 * refuse with ERR_HTTP2_ERROR.
 */
export function kinesisClient(config: KinesisClientConfig = {}): KinesisClient {
  return new KinesisClient({ ...localAwsConfig(), requestHandler: new NodeHttpHandler(), ...config });
}

/** S3 with path-style addressing: `<bucket>.localhost.localstack.cloud` does not resolve offline. */
export function s3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ ...localAwsConfig(), forcePathStyle: true, ...config });
}

export function sqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ ...localAwsConfig(), ...config });
}

export function firehoseClient(config: FirehoseClientConfig = {}): FirehoseClient {
  return new FirehoseClient({ ...localAwsConfig(), ...config });
}

/** The broker addresses of the local Kafka node. */
export function kafkaBrokers(path?: string): string[] {
  return [...kafkaState(path).brokers];
}

/** A kafkajs client for the local broker; kafkajs' own logging is cut to errors. */
export function kafka(config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId: 'tributary', brokers: kafkaBrokers(), logLevel: logLevel.ERROR, ...config });
}
