import {
  ChangeMessageVisibilityCommand,
  type DeleteMessageCommand,
  type DeleteMessageCommandOutput,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { expect } from 'vitest';

/** A queue: each message is received once per run (its visibility timeout lasts the run). */
export function memoryQueue(bodies: readonly string[]) {
  const messages: Message[] = bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body }));
  let received = 0;
  const released: string[] = [];
  return {
    messages,
    released,
    async send(command: ReceiveMessageCommand | DeleteMessageCommand | ChangeMessageVisibilityCommand) {
      if (command instanceof ChangeMessageVisibilityCommand) {
        expect(command.input.VisibilityTimeout).toBe(0);
        released.push(command.input.ReceiptHandle ?? '');
        return {};
      }
      if (command instanceof ReceiveMessageCommand) {
        const count = command.input.MaxNumberOfMessages ?? 1;
        const batch = messages.slice(received, received + count);
        received += batch.length;
        return { Messages: batch } as ReceiveMessageCommandOutput;
      }
      const at = messages.findIndex((m) => m.ReceiptHandle === command.input.ReceiptHandle);
      if (at >= 0) {
        messages.splice(at, 1);
        received--;
      }
      return {} as DeleteMessageCommandOutput;
    },
    /** The next run sees every message left. */
    nextRun: () => {
      received = 0;
    },
  };
}
