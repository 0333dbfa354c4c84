import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

const Checkpoints = z.record(z.string(), z.string().regex(/^\d+$/));

/**
 * Per-shard positions of a Kinesis-sourced delivery stream, kept in the run folder: the sequence
 * number up to which every record is in S3. Written atomically (temp file + rename).
 */
export class CheckpointStore {
  private readonly positions: Map<string, string>;
  private dirty = false;

  constructor(private readonly file: string) {
    this.positions = new Map(Object.entries(read(file)));
  }

  get(shardId: string): string | undefined {
    return this.positions.get(shardId);
  }

  set(shardId: string, sequenceNumber: string): void {
    this.positions.set(shardId, sequenceNumber);
    this.dirty = true;
  }

  /** Writes the positions if they changed since the last save. */
  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(Object.fromEntries(this.positions), null, 2)}\n`);
    renameSync(temp, this.file);
    this.dirty = false;
  }

  snapshot(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.positions);
  }
}

function read(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed = Checkpoints.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(
      `checkpoint file ${file} must map shard ids to sequence numbers: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
