import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One object of the warehouse. */
export interface WarehouseObject {
  readonly key: string;
  readonly size: number;
}

/** Every object under a prefix. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<WarehouseObject[]> {
  const out: WarehouseObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** An object's text, gunzipped when it is GZIP (by its magic bytes, not its name). */
export async function readObjectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? []);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The records under a prefix, and the blank lines found between them. */
export interface PrefixLines<T> {
  readonly records: T;
  /**
   * Empty lines inside objects (an object's final newline is not one). Athena's JSON SerDe reads
   * each as a row of NULLs, so a warehouse with any gives wrong counts: the run fails on them.
   */
  readonly blankLines: number;
}

/** The lines of every object under a prefix, in key order, without blank ones (counted instead). */
async function readLines(s3: S3Client, bucket: string, prefix: string): Promise<PrefixLines<string[]>> {
  const lines: string[] = [];
  let blankLines = 0;
  for (const object of await listObjects(s3, bucket, prefix)) {
    const text = await readObjectText(s3, bucket, object.key);
    const objectLines = text.split('\n');
    if (objectLines.at(-1) === '') objectLines.pop();
    for (const line of objectLines) {
      if (line.trim() === '') blankLines += 1;
      else lines.push(line);
    }
  }
  return { records: lines, blankLines };
}

/** The JSON lines of every object under a prefix, in key order. */
export async function readJsonLines(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<PrefixLines<unknown[]>> {
  const { records, blankLines } = await readLines(s3, bucket, prefix);
  return { records: records.map((line) => JSON.parse(line)), blankLines };
}

/** How many lines the objects under a prefix hold. */
export async function countLines(s3: S3Client, bucket: string, prefix: string): Promise<PrefixLines<number>> {
  const { records, blankLines } = await readLines(s3, bucket, prefix);
  return { records: records.length, blankLines };
}

/** Objects written under each top-level prefix (`raw/`, `aggregates/`, `late/`, `errors/`). */
export function summarizeObjects(objects: readonly WarehouseObject[]) {
  const byPrefix = new Map<string, { objects: number; bytes: number }>();
  for (const o of objects) {
    const top = o.key.split('/')[0] ?? '';
    const entry = byPrefix.get(top) ?? { objects: 0, bytes: 0 };
    entry.objects += 1;
    entry.bytes += o.size;
    byPrefix.set(top, entry);
  }
  return [...byPrefix].map(([prefix, v]) => ({ prefix: `${prefix}/`, ...v }));
}
