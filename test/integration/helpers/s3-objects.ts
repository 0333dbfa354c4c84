import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { listObjects, readObjectText } from '../../../local/runtime/start/warehouse.js';

/** One object of a test bucket, as the lines it holds. */
export interface ObjectLines {
  readonly key: string;
  readonly lines: string[];
}

/** Every object under `prefix`, gunzipped when it is GZIP. */
export async function readObjectLines(s3: S3Client, bucket: string, prefix: string): Promise<ObjectLines[]> {
  const stored: ObjectLines[] = [];
  for (const { key } of await listObjects(s3, bucket, prefix)) {
    const text = await readObjectText(s3, bucket, key);
    // Only the object's final newline is dropped: a blank line inside would be a row of NULLs in Athena.
    stored.push({ key, lines: text.replace(/\n$/, '').split('\n') });
  }
  return stored;
}

/** Empties (the first 1,000 objects: enough for a test) and deletes a test's bucket. */
export async function deleteBucket(s3: S3Client | undefined, bucket: string): Promise<void> {
  const listed = await s3?.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  const objects = (listed?.Contents ?? []).map((o) => ({ Key: o.Key }));
  if (objects.length > 0)
    await s3?.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  await s3?.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}
