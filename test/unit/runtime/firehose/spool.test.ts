import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AckQueue } from '../../../../local/runtime/firehose/ack-queue.js';
import { parseDeliveryStream } from '../../../../local/runtime/firehose/config.js';
import { DeliveryStream } from '../../../../local/runtime/firehose/delivery-stream.js';
import type { ObjectSink } from '../../../../local/runtime/firehose/object-sink.js';
import { directPutProperties } from './fixtures/delivery-streams.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spoolFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-spool-'));
  dirs.push(dir);
  return join(dir, 'stream.spool.jsonl');
}

function memory(): ObjectSink & { bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    async put(_bucket, _key, body) {
      bodies.push(body.toString());
    },
  };
}

describe('AckQueue', () => {
  it('moves the checkpoint only over the acknowledged prefix', () => {
    const queue = new AckQueue<string>();
    const [a, b, c] = ['1', '2', '3'].map((k) => queue.push(k));
    expect(queue.ack(b ?? -1)).toBeUndefined();
    expect(queue.ack(a ?? -1)).toBe('2');
    expect(queue.ack(c ?? -1)).toBe('3');
    expect(queue.size).toBe(0);
  });

  it('keeps its indexes valid across compaction', () => {
    const queue = new AckQueue<number>();
    const tokens = Array.from({ length: 5000 }, (_, i) => queue.push(i));
    let last: number | undefined;
    for (const token of tokens) last = queue.ack(token) ?? last;
    const more = queue.push(5000);
    expect(last).toBe(4999);
    expect(queue.ack(more)).toBe(5000);
  });
});

describe('DirectPut spool', () => {
  const config = parseDeliveryStream('Plain', directPutProperties);

  it('replays records a killed run had accepted but not written, once', async () => {
    // Prepare: a run accepts three records and is "killed" before its buffer is written
    const file = spoolFile();
    const killed = new DeliveryStream(config, memory(), { spoolFile: file });
    killed.accept([Buffer.from('a\n'), Buffer.from('b\n')]);
    killed.accept([Buffer.from('c\n')]);

    // Act: the next run recovers and flushes; a third run recovers again
    const sink = memory();
    const next = new DeliveryStream(config, sink, { spoolFile: file });
    const recovered = next.recover();
    await next.flush();
    const third = new DeliveryStream(config, memory(), { spoolFile: file });

    // Assess
    expect(recovered).toBe(3);
    expect(sink.bodies).toEqual(['a\nb\nc\n']);
    expect(next.counters.recordsRecovered).toBe(3);
    expect(third.recover()).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('drops a last line cut short by the kill (that call was never answered) and keeps later ones', () => {
    const file = spoolFile();
    const first = new DeliveryStream(config, memory(), { spoolFile: file });
    first.accept([Buffer.from('whole')]);
    // A torn write: half a JSON line at the end of the file.
    appendFileSync(file, '{"s":2,"t":1,"d":"aGFs');
    const next = new DeliveryStream(config, memory(), { spoolFile: file });
    next.accept([Buffer.from('after')]);
    const third = new DeliveryStream(config, memory(), { spoolFile: file });
    expect(third.recover()).toBe(2);
  });
});
