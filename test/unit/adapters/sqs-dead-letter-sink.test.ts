import type { SendMessageBatchCommandInput, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../functions/adapters/sinks/dead-letter-sink.js';
import {
  SqsDeadLetterSink,
  serializeDeadLetter,
} from '../../../functions/adapters/sinks/sqs-dead-letter-sink.js';
import { instantBackoff, stubClient } from './stub-clients.js';

const letter = (n: number, data = 'eyJ4IjoxfQ=='): DeadLetter => ({
  reason: `not-json: record ${n}`,
  pipeline: 'taxi-rides',
  shard: 'shardId-000000000000',
  sequence_number: String(1000 + n),
  data_base64: data,
  approximate_arrival: 1_700_000_000_000,
});

const ok = (input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput => ({
  $metadata: {},
  Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m${e.Id}`, MD5OfMessageBody: '' })),
  Failed: [],
});

describe('SqsDeadLetterSink', () => {
  it('sends at most 10 messages per SendMessageBatch call', async () => {
    // Prepare
    const stub = stubClient(ok);
    const sink = new SqsDeadLetterSink({
      client: stub.client,
      queueUrl: 'http://127.0.0.1:4566/000000000000/dlq',
    });

    // Act
    await sink.send(Array.from({ length: 25 }, (_, i) => letter(i)));

    // Assess
    expect(stub.inputs.map((input) => input.Entries?.length)).toEqual([10, 10, 5]);
    expect(JSON.parse(stub.inputs[2]?.Entries?.[4]?.MessageBody ?? '')).toEqual(letter(24));
  });

  it('resends only the failed entries', async () => {
    // Prepare
    const stub = stubClient<SendMessageBatchCommandInput, SendMessageBatchCommandOutput>((input, call) =>
      call === 1
        ? {
            $metadata: {},
            Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }],
            Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
          }
        : ok(input),
    );
    const { backoff } = instantBackoff();
    const sink = new SqsDeadLetterSink({ client: stub.client, queueUrl: 'q', backoff });

    // Act
    await sink.send([letter(0), letter(1)]);

    // Assess
    expect(stub.inputs).toHaveLength(2);
    expect(JSON.parse(stub.inputs[1]?.Entries?.[0]?.MessageBody ?? '').sequence_number).toBe('1001');
  });

  it('cuts a reason longer than 2,000 characters, saying so, so that the letter fits the queue', () => {
    // Prepare: a letter made before reasons were bounded, waiting in a checkpoint
    const long = { ...letter(8), reason: `wrong-pipeline: ${'p'.repeat(300 * 1024)}` };

    // Act
    const parsed = JSON.parse(serializeDeadLetter(long));

    // Assess
    expect(parsed.reason).toBe(
      `${long.reason.slice(0, 2_000)}... (reason cut: ${long.reason.length} characters)`,
    );
    expect(parsed.data_base64).toBe(long.data_base64);
  });

  it('truncates an oversized record to fit 256 KiB, keeping the reason and flagging the cut', () => {
    // Prepare: 1 MiB of data, as an oversized Kinesis record would carry.
    const big = letter(7, Buffer.alloc(1024 * 1024, 1).toString('base64'));

    // Act
    const body = serializeDeadLetter(big);

    // Assess
    const parsed = JSON.parse(body);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(256 * 1024);
    expect(parsed).toMatchObject({ reason: big.reason, sequence_number: '1007', truncated: true });
    expect(parsed.original_data_base64_length).toBe(big.data_base64.length);
    expect(big.data_base64.startsWith(parsed.data_base64)).toBe(true);
    expect(parsed.data_base64.length).toBeGreaterThan(200_000);
  });
});
