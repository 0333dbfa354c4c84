import type { PutRecordBatchCommandInput, PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../functions/adapters/errors.js';
import { FirehoseSink } from '../../../functions/adapters/sinks/firehose-sink.js';
import { instantBackoff, stubClient } from './stub-clients.js';

const ok = (input: PutRecordBatchCommandInput): PutRecordBatchCommandOutput => ({
  $metadata: {},
  FailedPutCount: 0,
  RequestResponses: (input.Records ?? []).map((_, i) => ({ RecordId: `r${i}` })),
});

describe('FirehoseSink', () => {
  it('sends newline-delimited JSON in batches of at most 500 records', async () => {
    // Prepare
    const stub = stubClient(ok);
    const sink = new FirehoseSink({ client: stub.client, deliveryStreamName: 'aggregates' });
    const records = Array.from({ length: 1201 }, (_, i) => ({ i }));

    // Act
    await sink.put(records);

    // Assess
    expect(stub.inputs.map((input) => input.Records?.length)).toEqual([500, 500, 201]);
    expect(Buffer.from(stub.inputs[0]?.Records?.[3]?.Data ?? []).toString()).toBe('{"i":3}\n');
    expect(stub.inputs.every((input) => input.DeliveryStreamName === 'aggregates')).toBe(true);
  });

  it('keeps each call under 4 MiB', async () => {
    // Prepare: 10 records of ~900 KiB must not share a 4 MiB call more than 4 at a time.
    const stub = stubClient(ok);
    const sink = new FirehoseSink({ client: stub.client, deliveryStreamName: 'aggregates' });
    const records = Array.from({ length: 10 }, (_, i) => ({ i, pad: 'x'.repeat(900 * 1024) }));

    // Act
    await sink.put(records);

    // Assess
    const sizes = stub.inputs.map((input) =>
      (input.Records ?? []).reduce((n, r) => n + (r.Data?.length ?? 0), 0),
    );
    expect(stub.inputs.map((input) => input.Records?.length)).toEqual([4, 4, 2]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('resends only the entries Firehose failed, with backoff, until they pass', async () => {
    // Prepare: the first call fails entries 1 and 3 of 4.
    const stub = stubClient<PutRecordBatchCommandInput, PutRecordBatchCommandOutput>((input, call) =>
      call === 1
        ? {
            $metadata: {},
            FailedPutCount: 2,
            RequestResponses: [
              { RecordId: 'a' },
              { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
              { RecordId: 'c' },
              { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
            ],
          }
        : ok(input),
    );
    const { backoff, delays } = instantBackoff();
    const sink = new FirehoseSink({ client: stub.client, deliveryStreamName: 'late', backoff });

    // Act
    await sink.put([{ n: 0 }, { n: 1 }, { n: 2 }, { n: 3 }]);

    // Assess
    expect(stub.inputs).toHaveLength(2);
    expect(stub.inputs[1]?.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual([
      '{"n":1}\n',
      '{"n":3}\n',
    ]);
    expect(delays).toHaveLength(1);
  });

  it('gives up after the bounded attempts with a retriable DeliveryError that quotes the error code', async () => {
    // Prepare
    const stub = stubClient<PutRecordBatchCommandInput, PutRecordBatchCommandOutput>(() => ({
      $metadata: {},
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    }));
    const { backoff, delays } = instantBackoff(3);
    const sink = new FirehoseSink({ client: stub.client, deliveryStreamName: 'aggregates', backoff });

    // Act
    const error = await sink.put([{ n: 0 }]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retriable).toBe(true);
    expect((error as DeliveryError).message).toContain('InternalFailure: boom');
    expect(stub.inputs).toHaveLength(3);
    // Full jitter under an exponential ceiling: 10 * 2^0, 10 * 2^1 (random() = 0.999).
    expect(delays).toEqual([9, 19]);
  });

  it('returns a record larger than Firehose accepts instead of sending it', async () => {
    // Prepare
    const stub = stubClient(ok);
    const sink = new FirehoseSink({ client: stub.client, deliveryStreamName: 'late' });
    const huge = { pad: 'x'.repeat(1000 * 1024) };

    // Act
    const { tooLarge } = await sink.put([{ n: 1 }, huge]);

    // Assess
    expect(tooLarge).toEqual([huge]);
    expect(stub.inputs[0]?.Records).toHaveLength(1);
  });
});
