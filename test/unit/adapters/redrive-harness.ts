import {
  ChangeMessageVisibilityCommand,
  type DeleteMessageCommand,
  type DeleteMessageCommandOutput,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
} from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import type { RedriveDependencies } from '../../../functions/adapters/redrive/redrive-dead-letters.js';

/**
 * A queue: each message is received once per run (its visibility timeout lasts the run). The
 * next `failing.deletes` deletes and `failing.releases` releases time out.
 */
export function memoryQueue(bodies: readonly string[]) {
  const messages: Message[] = bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body }));
  let received = 0;
  const released: string[] = [];
  const failing = { deletes: 0, releases: 0 };
  const timeout = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
  return {
    messages,
    released,
    failing,
    async send(command: ReceiveMessageCommand | DeleteMessageCommand | ChangeMessageVisibilityCommand) {
      if (command instanceof ChangeMessageVisibilityCommand && failing.releases > 0) {
        failing.releases--;
        throw timeout();
      }
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
      if (failing.deletes > 0) {
        failing.deletes--;
        throw timeout();
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

/** The dependencies with a clock at 0 that jumps to `after` when the source starts a read. */
export function clockPassingOnRead(deps: RedriveDependencies, after: number): RedriveDependencies {
  let clock = 0;
  const read = deps.source.read.bind(deps.source);
  deps.source.read = async (batch, deadline) => {
    clock = after;
    return read(batch, deadline);
  };
  return { ...deps, now: () => clock };
}
