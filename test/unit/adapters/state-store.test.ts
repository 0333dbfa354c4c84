import { describe, expect, it } from 'vitest';
import { CheckpointConflictError } from '../../../functions/adapters/errors.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import { S3StateStore } from '../../../functions/adapters/state/s3-state-store.js';
import { serviceError } from './stub-clients.js';

const body = (text: string) => Buffer.from(text);

describe('MemoryStateStore', () => {
  it('lets only one of two writers that read the same version win', async () => {
    // Prepare
    const store = new MemoryStateStore();
    const first = await store.put('p', 'shard-1', body('v1'), undefined);
    const read = await store.get('p', 'shard-1');

    // Act
    await store.put('p', 'shard-1', body('v2-a'), read?.etag);
    const loser = store.put('p', 'shard-1', body('v2-b'), read?.etag);

    // Assess
    await expect(loser).rejects.toBeInstanceOf(CheckpointConflictError);
    const stored = await store.get('p', 'shard-1');
    expect(stored && 'body' in stored ? Buffer.from(stored.body).toString() : undefined).toBe('v2-a');
    expect(read?.etag).toBe(first);
  });

  it('answers "not modified" to a reader that holds the current ETag', async () => {
    // Prepare
    const store = new MemoryStateStore();
    const etag = await store.put('p', 'shard-1', body('v1'), undefined);

    // Act
    const unchanged = await store.get('p', 'shard-1', etag);
    const changed = await store.get('p', 'shard-1', '"older"');

    // Assess
    expect(unchanged).toEqual({ notModified: true, etag });
    expect(changed).toMatchObject({ etag });
    expect(changed && 'body' in changed).toBe(true);
  });

  it('refuses a first write when an object already exists (If-None-Match: *)', async () => {
    // Prepare
    const store = new MemoryStateStore();
    await store.put('p', 'shard-1', body('v1'), undefined);

    // Act
    const second = store.put('p', 'shard-1', body('again'), undefined);

    // Assess
    await expect(second).rejects.toMatchObject({ retriable: true, shard: 'shard-1' });
    expect(await store.list('p')).toEqual(['shard-1']);
  });
});

describe('S3StateStore', () => {
  it('writes with If-Match on the ETag read, and If-None-Match: * for the first write', async () => {
    // Prepare
    const inputs: Record<string, unknown>[] = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        inputs.push(command.input);
        return { ETag: '"new"', $metadata: {} };
      },
    } as unknown as ConstructorParameters<typeof S3StateStore>[0]['client'];
    const store = new S3StateStore({ client, bucket: 'state-bucket', prefix: 'state/' });

    // Act
    await store.put('taxi-rides', 'shardId-000000000001', body('{}'), undefined);
    await store.put('taxi-rides', 'shardId-000000000001', body('{}'), '"abc"');

    // Assess
    expect(inputs[0]).toMatchObject({
      Bucket: 'state-bucket',
      Key: 'state/taxi-rides/shardId-000000000001.json',
      IfNoneMatch: '*',
    });
    expect(inputs[0]).not.toHaveProperty('IfMatch');
    expect(inputs[1]).toMatchObject({ IfMatch: '"abc"' });
  });

  it.each([
    ['PreconditionFailed', 412],
    ['ConditionalRequestConflict', 409],
  ])('turns %s (%i) into a retriable CheckpointConflictError', async (name, status) => {
    // Prepare
    const client = {
      send: async () => {
        throw serviceError(name, status);
      },
    } as unknown as ConstructorParameters<typeof S3StateStore>[0]['client'];
    const store = new S3StateStore({ client, bucket: 'b' });

    // Act
    const error = await store.put('p', 's', body('{}'), '"old"').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CheckpointConflictError);
    expect((error as CheckpointConflictError).message).toContain('expected ETag "old"');
  });

  it('reads a missing checkpoint as undefined', async () => {
    // Prepare
    const client = {
      send: async () => {
        throw serviceError('NoSuchKey', 404);
      },
    } as unknown as ConstructorParameters<typeof S3StateStore>[0]['client'];

    // Act
    const got = await new S3StateStore({ client, bucket: 'b' }).get('p', 's');

    // Assess
    expect(got).toBeUndefined();
  });
});
