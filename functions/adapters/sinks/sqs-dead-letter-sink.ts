import { SendMessageBatchCommand, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { DeliveryError } from '../errors.js';
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from '../retry.js';
import { chunkBySize, sendWithRetries } from './batching.js';
import { boundedReason, type DeadLetter, type DeadLetterSink } from './dead-letter-sink.js';

/** SendMessageBatch limits: 10 messages; 256 KiB per message and per call. */
export const SQS_LIMITS = { maxMessages: 10, maxBytes: 256 * 1024 };

/** The call of an SQS client this sink makes (a real SQSClient, or a stub). */
export interface SqsDeadLetterClient {
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
}

export interface SqsDeadLetterSinkProps {
  readonly client: SqsDeadLetterClient;
  readonly queueUrl: string;
  readonly backoff?: BackoffOptions;
}

/**
 * Serializes a dead letter within `maxBytes`: an oversized record keeps its reason and position,
 * and its data is cut (flagged `truncated`) so the message still fits the queue.
 */
export function serializeDeadLetter(given: DeadLetter, maxBytes = SQS_LIMITS.maxBytes): string {
  // Letters made before reasons were bounded may still wait in a checkpoint.
  const letter = { ...given, reason: boundedReason(given.reason) };
  const body = JSON.stringify(letter);
  const size = Buffer.byteLength(body);
  if (size <= maxBytes) return body;
  const marker = { truncated: true, original_data_base64_length: letter.data_base64.length };
  const withoutData = Buffer.byteLength(JSON.stringify({ ...letter, ...marker, data_base64: '' }));
  // base64 and the fields around it are ASCII except the reason, which is measured above.
  const room = Math.max(0, maxBytes - withoutData);
  const cut = letter.data_base64.slice(0, room - (room % 4));
  return JSON.stringify({ ...letter, ...marker, data_base64: cut });
}

/** Dead letters to an SQS queue with SendMessageBatch, failed entries retried. */
export class SqsDeadLetterSink implements DeadLetterSink {
  private readonly client: SqsDeadLetterClient;
  private readonly queueUrl: string;
  private readonly backoff: ResolvedBackoff;

  constructor(props: SqsDeadLetterSinkProps) {
    this.client = props.client;
    this.queueUrl = props.queueUrl;
    this.backoff = resolveBackoff(props.backoff);
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    const bodies = letters.map((letter) => serializeDeadLetter(letter));
    const batches = chunkBySize(bodies, SQS_LIMITS.maxMessages, SQS_LIMITS.maxBytes, (b) =>
      Buffer.byteLength(b),
    );
    for (const batch of batches) {
      const outcome = await sendWithRetries(
        batch,
        async (pending) => {
          const out = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: pending.map((body, index) => ({ Id: String(index), MessageBody: body })),
            }),
          );
          return (out.Failed ?? []).map((failure) => ({
            index: Number(failure.Id),
            error: `${failure.Code ?? 'Failed'}: ${failure.Message ?? ''}`,
          }));
        },
        this.backoff,
      );
      if (outcome.failures.length > 0) {
        throw new DeliveryError(
          `SQS ${this.queueUrl}`,
          outcome.failures.length,
          outcome.attempts,
          outcome.failures.map((f) => f.error),
        );
      }
    }
  }
}
