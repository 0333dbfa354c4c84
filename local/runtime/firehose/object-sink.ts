import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Where delivered objects go: LocalStack S3 in the runtime, an in-memory list in unit tests. */
export interface ObjectSink {
  put(bucket: string, key: string, body: Buffer): Promise<void>;
}

/** Writes objects with PutObject (a client configured for LocalStack: path-style, 127.0.0.1). */
export function s3ObjectSink(client: S3Client): ObjectSink {
  return {
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}
