import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShardReadClient } from '../../../functions/adapters/kinesis/shard-backlog.js';
import { KinesisRedriveSource } from '../../../functions/adapters/redrive/kinesis-redrive-source.js';
import type { RedriveDependencies } from '../../../functions/adapters/redrive/redrive-dead-letters.js';
import { MemoryStateStore } from '../../../functions/adapters/state/memory-state-store.js';
import type * as RedriveHandler from '../../../functions/handlers/redrive.js';
import { clicksPipeline } from '../../fixtures/test-pipeline.js';

let createRedriveHandler: typeof RedriveHandler.createRedriveHandler;
let RedriveIncompleteError: typeof RedriveHandler.RedriveIncompleteError;

beforeAll(async () => {
  // Before the module creates its Logger.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  ({ createRedriveHandler, RedriveIncompleteError } = await import('../../../functions/handlers/redrive.js'));
});

// The redrive itself is tested in test/unit/adapters/redrive-dead-letters.test.ts and, through
// `tributary invoke` on LocalStack, in test/integration/redrive.test.ts: here, what the handler adds.

/** A queue holding one message, whose stream read fails (GetShardIterator throttled). */
function dependencies(body: string): RedriveDependencies & { deleted: number; released: number } {
  let given = false;
  const deps = {
    deleted: 0,
    released: 0,
    pipeline: clicksPipeline,
    stateStore: new MemoryStateStore(),
    queueUrl: 'http://localhost/000000000000/dead-letters',
    sqs: {
      async send(command: { input: object }) {
        if (command instanceof DeleteMessageCommand) deps.deleted++;
        if (command instanceof ChangeMessageVisibilityCommand) deps.released++;
        if (!(command instanceof ReceiveMessageCommand)) return {};
        if (given) return { Messages: [] };
        given = true;
        return { Messages: [{ MessageId: 'm0', ReceiptHandle: 'r0', Body: body }] };
      },
    },
    source: new KinesisRedriveSource({
      client: {
        async send() {
          throw Object.assign(new Error('Rate exceeded for shard'), {
            name: 'ProvisionedThroughputExceededException',
          });
        },
      } as unknown as ShardReadClient,
      streamName: 'tributary-dev-test-clicks',
      shards: { childrenOf: async () => [] },
      pagePauseMs: 0,
    }),
  };
  return deps as unknown as RedriveDependencies & { deleted: number; released: number };
}

const BATCH = JSON.stringify({
  requestContext: { condition: 'RetryAttemptsExhausted' },
  KinesisBatchInfo: {
    shardId: 'shardId-000000000000',
    startSequenceNumber: '1',
    endSequenceNumber: '2',
    batchSize: 2,
    streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/tributary-dev-test-clicks',
  },
});

describe('the redrive handler', () => {
  it('says what event it expects when given another', async () => {
    // Prepare
    const handler = createRedriveHandler(() => dependencies(BATCH));

    // Act
    const attempt = handler({ dryrun: true });

    // Assess
    await expect(attempt).rejects.toThrow(
      /redrive event must be \{"dryRun"\?: boolean, "maxMessages"\?: 1-100000, "dropExpired"\?: boolean\}/,
    );
  });

  it('fails the invocation when a batch could not be applied, naming it, and deletes nothing', async () => {
    // Prepare
    const deps = dependencies(BATCH);
    const handler = createRedriveHandler(() => deps);

    // Act
    const attempt = handler({});

    // Assess
    await expect(attempt).rejects.toThrow(RedriveIncompleteError);
    await expect(createRedriveHandler(() => dependencies(BATCH))(undefined)).rejects.toThrow(
      /1 batch\(es\) could not be redriven and stay in the queue: shardId-000000000000 1-2: ProvisionedThroughputExceededException: Rate exceeded/,
    );
    expect(deps.deleted).toBe(0);
    expect(deps.released).toBe(1);
  });

  it('returns the report when only messages that are not batches stay', async () => {
    // Prepare
    const handler = createRedriveHandler(() => dependencies('{"reason":"not-json: ...","data_base64":""}'));

    // Act
    const report = await handler({ maxMessages: 5 });

    // Assess
    expect(report).toMatchObject({ received: 1, left: [{ kind: 'not-a-batch' }] });
  });
});
