import { CheckpointConflictError } from '../errors.js';
import type { NotModified, StateStore, StoredState } from './state-store.js';

/** A StateStore in memory with the same conditional-write rules as S3 (tests, benchmarks). */
export class MemoryStateStore implements StateStore {
  private readonly objects = new Map<string, StoredState>();
  private version = 0;
  /** Number of successful writes, for assertions. */
  writes = 0;

  /** Number of get calls that returned a body, for assertions. */
  reads = 0;

  async get(
    pipeline: string,
    shard: string,
    ifNoneMatch?: string,
  ): Promise<StoredState | NotModified | undefined> {
    const found = this.objects.get(`${pipeline}/${shard}`);
    if (found && ifNoneMatch !== undefined && found.etag === ifNoneMatch)
      return { notModified: true, etag: found.etag };
    if (found) this.reads += 1;
    return found;
  }

  async put(
    pipeline: string,
    shard: string,
    body: Uint8Array,
    expectedEtag: string | undefined,
  ): Promise<string> {
    const id = `${pipeline}/${shard}`;
    const current = this.objects.get(id);
    if (current?.etag !== expectedEtag) throw new CheckpointConflictError(pipeline, shard, expectedEtag);
    this.version += 1;
    const etag = `"m${this.version}"`;
    this.objects.set(id, { body: body.slice(), etag });
    this.writes += 1;
    return etag;
  }

  async list(pipeline: string): Promise<string[]> {
    const prefix = `${pipeline}/`;
    return [...this.objects.keys()]
      .filter((id) => id.startsWith(prefix))
      .map((id) => id.slice(prefix.length));
  }
}
