import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { pollUntil } from './poll.js';

/** Receives from the queue until a call returns messages or the deadline passes (then none). */
export function waitForMessages(
  sqs: SQSClient,
  queueUrl: string,
  { timeoutMs }: { timeoutMs: number },
): Promise<Message[]> {
  return pollUntil(
    async () =>
      (
        await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        )
      ).Messages ?? [],
    (m) => m.length > 0,
    { timeoutMs },
  );
}
