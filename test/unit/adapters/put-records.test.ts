import type { PutRecordsCommandInput, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { decodeKinesisRecord } from '../../../functions/adapters/kinesis/decode.js';
import { putRecords } from '../../../functions/adapters/producer/put-records.js';
import { kinesisRecord } from '../../fixtures/kinesis-events.js';
import { instantBackoff, serviceError, stubClient } from './stub-clients.js';

const ok = (input: PutRecordsCommandInput): PutRecordsCommandOutput => ({
  $metadata: {},
  FailedRecordCount: 0,
  Records: (input.Records ?? []).map((_, i) => ({
    SequenceNumber: String(i),
    ShardId: 'shardId-000000000000',
  })),
});

const entry = (key: string, bytes = 20) => ({ partitionKey: key, data: Buffer.alloc(bytes, 0x61) });

describe('putRecords', () => {
  it('batches at most 500 records per call', async () => {
    // Prepare
    const stub = stubClient(ok);

    // Act
    const report = await putRecords(
      Array.from({ length: 1001 }, (_, i) => entry(`k${i}`)),
      { client: stub.client, streamName: 's' },
    );

    // Assess
    expect(stub.inputs.map((input) => input.Records?.length)).toEqual([500, 500, 1]);
    expect(report.accepted).toHaveLength(1001);
    expect(report.rejected).toEqual([]);
  });

  it('counts partition key bytes towards the 5 MiB per call', async () => {
    // Prepare: 5 records of exactly 1 MiB - 256 bytes of data plus a 256-byte key = 1 MiB each.
    const stub = stubClient(ok);
    const key = 'k'.repeat(256);
    const entries = Array.from({ length: 6 }, () => entry(key, 1024 * 1024 - 256));

    // Act
    await putRecords(entries, { client: stub.client, streamName: 's' });

    // Assess: 5 x 1 MiB fill a call; without the key bytes all 6 would have looked like they fit.
    expect(stub.inputs.map((input) => input.Records?.length)).toEqual([5, 1]);
  });

  it('resends only entries rejected with ProvisionedThroughputExceededException', async () => {
    // Prepare
    const stub = stubClient<PutRecordsCommandInput, PutRecordsCommandOutput>((input, call) =>
      call === 1
        ? {
            $metadata: {},
            FailedRecordCount: 1,
            Records: [
              { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
              {
                ErrorCode: 'ProvisionedThroughputExceededException',
                ErrorMessage: 'Rate exceeded for shard',
              },
              { SequenceNumber: '3', ShardId: 'shardId-000000000000' },
            ],
          }
        : ok(input),
    );
    const { backoff, delays } = instantBackoff();

    // Act
    const report = await putRecords([entry('a'), entry('b'), entry('c')], {
      client: stub.client,
      streamName: 's',
      backoff,
    });

    // Assess
    expect(stub.inputs[1]?.Records?.map((r) => r.PartitionKey)).toEqual(['b']);
    expect(report.accepted).toEqual([0, 1, 2]);
    expect(report.calls).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('retries a throttled call as a whole and reports what still fails, with the reason', async () => {
    // Prepare: every call is throttled.
    const stub = stubClient<PutRecordsCommandInput, PutRecordsCommandOutput>(() => {
      throw serviceError('ProvisionedThroughputExceededException', 400);
    });
    const { backoff } = instantBackoff(3);

    // Act
    const report = await putRecords([entry('a'), entry('b')], {
      client: stub.client,
      streamName: 's',
      backoff,
    });

    // Assess
    expect(report.accepted).toEqual([]);
    expect(report.rejected.map((r) => r.index)).toEqual([0, 1]);
    expect(report.rejected[0]?.reason).toMatch(/ProvisionedThroughputExceededException.*after 3 attempts/);
    expect(stub.inputs).toHaveLength(3);
  });

  it('reports a whole-call error after an earlier call was written: that chunk and the later ones come back rejected, not thrown', async () => {
    // Prepare: 3 calls of 500, 500 and 200 entries; the second fails as a whole (the SDK gave up).
    const stub = stubClient<PutRecordsCommandInput, PutRecordsCommandOutput>((input, call) => {
      if (call === 2) throw serviceError('InternalFailure', 500);
      return ok(input);
    });
    const { backoff } = instantBackoff();

    // Act
    const report = await putRecords(
      Array.from({ length: 1200 }, (_, i) => entry(`k${i}`)),
      { client: stub.client, streamName: 's', backoff },
    );

    // Assess: the first 500 are in the stream; the failed call is not retried and the third is not sent.
    expect(report.accepted).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(report.rejected.map((r) => r.index)).toEqual(Array.from({ length: 700 }, (_, i) => 500 + i));
    expect(report.rejected[0]?.reason).toBe('InternalFailure: InternalFailure (stub) (after 1 attempts)');
    expect(report.rejected[699]?.reason).toBe(
      'not sent: an earlier PutRecords call failed (InternalFailure: InternalFailure (stub))',
    );
    expect(stub.inputs).toHaveLength(2);
    expect(report.calls).toBe(2);
  });

  it('keeps the entries a first attempt wrote when the resend of the others fails as a whole', async () => {
    // Prepare: 'b' is throttled on the first call; the resend of it fails with a non-retriable error.
    const stub = stubClient<PutRecordsCommandInput, PutRecordsCommandOutput>((input, call) => {
      if (call === 2) throw serviceError('KMSThrottlingException', 400);
      return {
        ...ok(input),
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
          { SequenceNumber: '3', ShardId: 'shardId-000000000000' },
        ],
      };
    });
    const { backoff } = instantBackoff();

    // Act
    const report = await putRecords([entry('a'), entry('b'), entry('c')], {
      client: stub.client,
      streamName: 's',
      backoff,
    });

    // Assess
    expect(report.accepted).toEqual([0, 2]);
    expect(report.rejected).toEqual([
      { index: 1, reason: expect.stringMatching(/^KMSThrottlingException: .*after 2 attempts/) },
    ]);
  });

  it('still throws a whole-call error while nothing is written, so a resend of the request duplicates nothing', async () => {
    // Prepare: the first call is refused (missing permission); nothing reaches the stream.
    const stub = stubClient<PutRecordsCommandInput, PutRecordsCommandOutput>(() => {
      throw serviceError('AccessDeniedException', 400);
    });
    const { backoff } = instantBackoff();

    // Act
    const outcome = putRecords(
      Array.from({ length: 600 }, (_, i) => entry(`k${i}`)),
      { client: stub.client, streamName: 's', backoff },
    );

    // Assess: thrown on the first call, without a retry or a second chunk.
    await expect(outcome).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(stub.inputs).toHaveLength(1);
  });

  it('rejects a record over 1 MiB without sending it', async () => {
    // Prepare
    const stub = stubClient(ok);

    // Act
    const report = await putRecords([entry('a', 1024 * 1024), entry('b')], {
      client: stub.client,
      streamName: 's',
    });

    // Assess
    expect(report.rejected).toEqual([{ index: 0, reason: expect.stringMatching(/^oversized/) }]);
    expect(report.accepted).toEqual([1]);
  });

  it('packs small records of one key into KPL aggregates that the aggregator de-aggregates', async () => {
    // Prepare
    const stub = stubClient(ok);
    const entries = [
      ...Array.from({ length: 300 }, (_, i) => ({ partitionKey: 'zone-1', data: Buffer.from(`{"n":${i}}`) })),
      ...Array.from({ length: 200 }, (_, i) => ({ partitionKey: 'zone-2', data: Buffer.from(`{"m":${i}}`) })),
    ];

    // Act
    const report = await putRecords(entries, { client: stub.client, streamName: 's', aggregation: {} });

    // Assess: one aggregated record per key, and each unpacks into that key's records in order.
    const sent = stub.inputs.flatMap((input) => input.Records ?? []);
    expect(sent.map((r) => r.PartitionKey)).toEqual(['zone-1', 'zone-2']);
    const unpacked = sent.map((r, n) =>
      decodeKinesisRecord(
        kinesisRecord({ data: Buffer.from(r.Data ?? []), partitionKey: r.PartitionKey ?? '', n }),
      ),
    );
    expect(unpacked[0]).toHaveLength(300);
    expect(unpacked[1]?.map((o) => o.ok && o.record.data.toString()).slice(0, 2)).toEqual([
      '{"m":0}',
      '{"m":1}',
    ]);
    expect(report.accepted).toHaveLength(500);
  });
});
