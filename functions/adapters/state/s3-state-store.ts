import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { CheckpointConflictError } from '../errors.js';
import type { NotModified, StateStore, StoredState } from './state-store.js';

/** The calls of an S3 client this store makes (a real S3Client, or a stub in unit tests). */
export interface S3StateClient {
  send(command: GetObjectCommand): Promise<GetObjectCommandOutput>;
  send(command: PutObjectCommand): Promise<PutObjectCommandOutput>;
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
}

export interface S3StateStoreProps {
  readonly client: S3StateClient;
  readonly bucket: string;
  /** @default 'state/' */
  readonly prefix?: string;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * Checkpoints as S3 objects `<prefix><pipeline>/<shard>.json`, written with conditional requests:
 * If-Match on the ETag read, If-None-Match: * for the first write. S3 answers 412 when the
 * condition fails and 409 when a concurrent conditional write is in flight; both mean "lost".
 */
export class S3StateStore implements StateStore {
  private readonly client: S3StateClient;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(props: S3StateStoreProps) {
    this.client = props.client;
    this.bucket = props.bucket;
    this.prefix = props.prefix ?? 'state/';
  }

  /** The object key of a shard's checkpoint. */
  keyOf(pipeline: string, shard: string): string {
    return `${this.prefix}${pipeline}/${shard}.json`;
  }

  async get(
    pipeline: string,
    shard: string,
    ifNoneMatch?: string,
  ): Promise<StoredState | NotModified | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(pipeline, shard),
          IfNoneMatch: ifNoneMatch,
        }),
      );
      if (!out.Body || !out.ETag)
        throw new Error(`GetObject ${this.keyOf(pipeline, shard)}: response has no body or ETag`);
      return { body: await out.Body.transformToByteArray(), etag: out.ETag };
    } catch (error) {
      if (nameOf(error) === 'NoSuchKey' || statusOf(error) === 404) return undefined;
      if (ifNoneMatch !== undefined && (statusOf(error) === 304 || nameOf(error) === 'NotModified')) {
        return { notModified: true, etag: ifNoneMatch };
      }
      throw error;
    }
  }

  async put(
    pipeline: string,
    shard: string,
    body: Uint8Array,
    expectedEtag: string | undefined,
  ): Promise<string> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(pipeline, shard),
          Body: body,
          ContentType: 'application/json',
          ...(expectedEtag === undefined ? { IfNoneMatch: '*' } : { IfMatch: expectedEtag }),
        }),
      );
      if (!out.ETag) throw new Error(`PutObject ${this.keyOf(pipeline, shard)}: response has no ETag`);
      return out.ETag;
    } catch (error) {
      const status = statusOf(error);
      const name = nameOf(error);
      if (
        status === 412 ||
        status === 409 ||
        name === 'PreconditionFailed' ||
        name === 'ConditionalRequestConflict'
      ) {
        throw new CheckpointConflictError(pipeline, shard, expectedEtag);
      }
      throw error;
    }
  }

  async list(pipeline: string): Promise<string[]> {
    const prefix = `${this.prefix}${pipeline}/`;
    const shards: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of out.Contents ?? []) {
        const key = object.Key ?? '';
        if (key.endsWith('.json')) shards.push(key.slice(prefix.length, -'.json'.length));
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return shards;
  }
}
