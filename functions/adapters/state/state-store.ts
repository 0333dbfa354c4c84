/** One stored checkpoint object with the version tag a conditional write must quote. */
export interface StoredState {
  readonly body: Uint8Array;
  readonly etag: string;
}

/** The checkpoint is still at the version the caller holds. */
export interface NotModified {
  readonly notModified: true;
  readonly etag: string;
}

/**
 * Durable per-shard state: one object per pipeline and shard. `put` is conditional so that two
 * invocations that read the same version cannot both write: the loser gets CheckpointConflictError.
 */
export interface StateStore {
  /**
   * The shard's checkpoint, or undefined when none was written yet. With `ifNoneMatch` (an ETag
   * the caller holds the body of), answers `{ notModified: true }` instead of the body when the
   * checkpoint is still at that version (S3 answers 304 without sending the object).
   */
  get(pipeline: string, shard: string, ifNoneMatch?: string): Promise<StoredState | NotModified | undefined>;
  /**
   * Writes the checkpoint if it is still at `expectedEtag` (undefined: only if none exists).
   * Returns the new ETag; throws CheckpointConflictError when another write came first.
   */
  put(pipeline: string, shard: string, body: Uint8Array, expectedEtag: string | undefined): Promise<string>;
  /** Shard ids that have a checkpoint for this pipeline. */
  list(pipeline: string): Promise<string[]>;
}
