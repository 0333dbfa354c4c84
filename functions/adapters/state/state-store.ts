/** One stored checkpoint object with the version tag a conditional write must quote. */
export interface StoredState {
  readonly body: Uint8Array;
  readonly etag: string;
}

/**
 * Durable per-shard state: one object per pipeline and shard. `put` is conditional so that two
 * invocations that read the same version cannot both write: the loser gets CheckpointConflictError.
 */
export interface StateStore {
  /** The shard's checkpoint, or undefined when none was written yet. */
  get(pipeline: string, shard: string): Promise<StoredState | undefined>;
  /**
   * Writes the checkpoint if it is still at `expectedEtag` (undefined: only if none exists).
   * Returns the new ETag; throws CheckpointConflictError when another write came first.
   */
  put(pipeline: string, shard: string, body: Uint8Array, expectedEtag: string | undefined): Promise<string>;
  /** Shard ids that have a checkpoint for this pipeline. */
  list(pipeline: string): Promise<string[]>;
}
