import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { kinesisClient, s3Client, sqsClient } from '../../services/clients.js';

/** The LocalStack clients a run uses. */
export interface LocalClients {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

export function localClients(): LocalClients {
  return { kinesis: kinesisClient(), s3: s3Client(), sqs: sqsClient() };
}

export function destroyClients(clients: LocalClients): void {
  clients.kinesis.destroy();
  clients.s3.destroy();
  clients.sqs.destroy();
}
