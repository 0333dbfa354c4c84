import { appendFileSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AckQueue } from './ack-queue.js';

const Entry = z.object({ s: z.number().int(), t: z.number(), d: z.string() });
const Watermark = z.object({ delivered: z.number().int() });

/** A record accepted earlier and not yet known to be in S3. */
export interface SpooledRecord {
  readonly seq: number;
  readonly arrivalMs: number;
  readonly data: Buffer;
}

/**
 * Write-ahead spool of a DirectPut stream: Firehose keeps a record once PutRecordBatch answered, and
 * the aggregator checkpoints on that answer, so a killed runtime must not lose what sat in a buffer.
 * Records are appended (`<file>`) before the call is answered; the highest sequence up to which all
 * are in S3 goes to `<file>.delivered`; a restart replays the rest. When everything is delivered the
 * spool is emptied.
 */
export class Spool {
  private nextSeq: number;
  private delivered: number;
  private saved: number;
  private readonly pending = new AckQueue<number>();
  private readonly watermarkFile: string;
  private saveScheduled = false;

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.watermarkFile = `${file}.delivered`;
    this.delivered = readWatermark(this.watermarkFile);
    this.saved = this.delivered;
    this.nextSeq = this.delivered + 1;
    this.repairTail();
  }

  /** Cuts a line torn by a kill, so that the next append starts on a line of its own. */
  private repairTail(): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a)
      truncateSync(this.file, bytes.lastIndexOf(0x0a) + 1);
  }

  /** The records of an earlier run that were accepted but not delivered, in order. */
  recover(): SpooledRecord[] {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const records: SpooledRecord[] = [];
    for (const line of text.split('\n')) {
      // A line cut short by a kill was never acknowledged to the caller: skip it.
      const parsed = line === '' ? undefined : Entry.safeParse(safeJson(line));
      if (parsed === undefined || !parsed.success || parsed.data.s <= this.delivered) continue;
      records.push({
        seq: parsed.data.s,
        arrivalMs: parsed.data.t,
        data: Buffer.from(parsed.data.d, 'base64'),
      });
      this.nextSeq = Math.max(this.nextSeq, parsed.data.s + 1);
    }
    return records;
  }

  /** Queues a recovered record again; returns the token for `ack`. */
  track(seq: number): number {
    return this.pending.push(seq);
  }

  /** Appends records durably (one write for the batch); returns one token per record for `ack`. */
  append(records: readonly Buffer[], arrivalMs: number): number[] {
    const seqs = records.map(() => this.nextSeq++);
    const lines = records.map((data, i) =>
      JSON.stringify({ s: seqs[i], t: arrivalMs, d: data.toString('base64') }),
    );
    appendFileSync(this.file, `${lines.join('\n')}\n`);
    return seqs.map((seq) => this.pending.push(seq));
  }

  /** Marks one record as in S3; the watermark moves over the delivered prefix (saved once per tick). */
  ack(token: number): void {
    const last = this.pending.ack(token);
    if (last === undefined) return;
    this.delivered = last;
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => {
      if (this.saveScheduled) this.save();
    });
  }

  /** Writes the watermark now, if it moved; empties the spool when everything accepted is delivered. */
  save(): void {
    this.saveScheduled = false;
    if (this.delivered === this.saved) return;
    writeAtomically(this.watermarkFile, JSON.stringify({ delivered: this.delivered }));
    this.saved = this.delivered;
    // The watermark keeps the numbering, so the spool can start over.
    if (this.pending.size === 0) truncateSync(this.file, 0);
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function readWatermark(file: string): number {
  try {
    const parsed = Watermark.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data.delivered : 0;
  } catch {
    return 0;
  }
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
