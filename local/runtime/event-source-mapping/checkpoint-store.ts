import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { MappingConfigError } from './errors.js';

/** Where a mapping stands on one shard. */
export interface ShardCheckpoint {
  /** Every record up to and including this one was processed or discarded. */
  readonly sequenceNumber?: string;
  /** A closed shard read to its end: its children may start. */
  readonly shardEnded?: boolean;
  /** The open tumbling window and its state (ParallelizationFactor 1), as Lambda keeps it. */
  readonly window?: SavedWindow;
  /**
   * When the mapping started reading the shard by time (epoch ms: the moment of a LATEST start, or
   * StartingPositionTimestamp): before its first record, and for its children, it reads from there.
   */
  readonly since?: number;
  readonly updatedAt: string;
}

const WindowSchema = z.object({
  startMs: z.number(),
  endMs: z.number(),
  state: z.record(z.string(), z.unknown()),
});
export type SavedWindow = z.infer<typeof WindowSchema>;

const FileSchema = z.object({
  version: z.literal(1),
  mappings: z.record(
    z.string(),
    z.record(
      z.string(),
      z.object({
        sequenceNumber: z.string().optional(),
        shardEnded: z.boolean().optional(),
        window: WindowSchema.optional(),
        since: z.number().optional(),
        updatedAt: z.string(),
      }),
    ),
  ),
});

/**
 * The mappings' per-shard positions, persisted as one JSON file in the run folder so a runtime
 * killed mid-run resumes where it was (at least once: records processed after the last write are
 * delivered again, as Lambda does after a crash). Writes are batched (`flushIntervalMs`) and
 * atomic (temporary file, then rename), so a kill never leaves a torn file.
 */
export class CheckpointStore {
  private readonly data: z.infer<typeof FileSchema>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly flushIntervalMs = 200,
  ) {
    this.data = { version: 1, mappings: {} };
    if (file && existsSync(file)) {
      const parsed = FileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) {
        throw new MappingConfigError(
          `${file}: not a checkpoint file of this runtime: ${z.prettifyError(parsed.error)}`,
        );
      }
      this.data = parsed.data;
    }
  }

  get(mappingId: string, shardId: string): ShardCheckpoint | undefined {
    return this.data.mappings[mappingId]?.[shardId];
  }

  set(mappingId: string, shardId: string, checkpoint: Omit<ShardCheckpoint, 'updatedAt'>): void {
    this.data.mappings[mappingId] ??= {};
    const shards = this.data.mappings[mappingId];
    if (shards) shards[shardId] = { ...checkpoint, updatedAt: new Date().toISOString() };
    if (this.file && !this.timer) this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
  }

  /** Writes pending changes now (called on stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}
