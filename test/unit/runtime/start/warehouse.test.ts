import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { countLines, readJsonLines } from '../../../../local/runtime/start/warehouse.js';

/** An S3 client stub serving `objects` (key -> body) from one bucket. */
function s3Serving(objects: Record<string, string | Buffer>): S3Client {
  const send = async (command: unknown) => {
    if (command instanceof ListObjectsV2Command) {
      const prefix = command.input.Prefix ?? '';
      const keys = Object.keys(objects).filter((key) => key.startsWith(prefix));
      return { Contents: keys.map((Key) => ({ Key, Size: 1 })), IsTruncated: false };
    }
    if (command instanceof GetObjectCommand) {
      const body = objects[command.input.Key ?? ''] ?? '';
      return { Body: { transformToByteArray: async () => new Uint8Array(Buffer.from(body)) } };
    }
    throw new Error(`unexpected command ${String(command)}`);
  };
  return { send } as unknown as S3Client;
}

describe('reading the warehouse back', () => {
  it('reads one JSON record per line, gunzipping by magic bytes, with no blank line', async () => {
    // Prepare
    const s3 = s3Serving({
      'aggregates/a.gz': gzipSync('{"n":1}\n{"n":2}\n'),
      'aggregates/b': '{"n":3}\n',
    });

    // Act
    const read = await readJsonLines(s3, 'bucket', 'aggregates/');

    // Assess
    expect(read).toEqual({ records: [{ n: 1 }, { n: 2 }, { n: 3 }], blankLines: 0 });
  });

  it('counts blank lines inside objects, which Athena would read as rows of NULLs', async () => {
    // Prepare: what a newline written by the sink plus one appended by Firehose gives.
    const s3 = s3Serving({ 'late/a.gz': gzipSync('{"n":1}\n\n{"n":2}\n\n'), 'late/b': '{"n":3}' });

    // Act
    const read = await readJsonLines(s3, 'bucket', 'late/');
    const counted = await countLines(s3, 'bucket', 'late/');

    // Assess
    expect(read).toEqual({ records: [{ n: 1 }, { n: 2 }, { n: 3 }], blankLines: 2 });
    expect(counted).toEqual({ records: 3, blankLines: 2 });
  });
});
