import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StreamRecord } from '../kinesis/index.js';
import type { InvocationOutcome } from './response.js';

/** Why Lambda gave up on records (`requestContext.condition`). */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface DiscardedBatch {
  readonly records: readonly StreamRecord[];
  readonly condition: FailureCondition;
  /** How often the records were sent to the function (0 when they expired before any invocation). */
  readonly approximateInvokeCount: number;
  /** The last invocation's outcome, for `responseContext`. */
  readonly lastOutcome: InvocationOutcome | undefined;
}

/**
 * AWS's invocation record for discarded Kinesis records (the message an on-failure destination
 * receives): it describes the batch (shard, first and last sequence number and arrival time,
 * size, stream) — the records themselves stay in the stream until they expire.
 */
export function onFailureRecord(
  batch: DiscardedBatch,
  where: { readonly shardId: string; readonly streamArn: string; readonly functionArn: string },
  now: number = Date.now(),
) {
  const first = batch.records[0];
  const last = batch.records[batch.records.length - 1];
  return {
    requestContext: requestContext(batch, where.functionArn),
    responseContext: responseContext(batch.lastOutcome),
    version: '1.0',
    timestamp: new Date(now).toISOString(),
    KinesisBatchInfo: {
      shardId: where.shardId,
      startSequenceNumber: first?.sequenceNumber,
      endSequenceNumber: last?.sequenceNumber,
      approximateArrivalOfFirstRecord: first
        ? new Date(first.approximateArrivalTimestamp).toISOString()
        : undefined,
      approximateArrivalOfLastRecord: last
        ? new Date(last.approximateArrivalTimestamp).toISOString()
        : undefined,
      batchSize: batch.records.length,
      streamArn: where.streamArn,
    },
  };
}

// The two contexts are the same in the Kinesis and the Kafka invocation record.

/** An invocation record's `requestContext`: which function gave up on the batch, and why. */
export function requestContext<TCondition extends string>(
  batch: { readonly condition: TCondition; readonly approximateInvokeCount: number },
  functionArn: string,
) {
  return {
    requestId: randomUUID(),
    functionArn,
    condition: batch.condition,
    approximateInvokeCount: batch.approximateInvokeCount,
  };
}

/** An invocation record's `responseContext`, with `functionError` when the function failed. */
export function responseContext(outcome: InvocationOutcome | undefined) {
  return {
    statusCode: 200,
    executedVersion: '$LATEST',
    ...(outcome?.kind === 'failure' && outcome.functionError ? { functionError: 'Unhandled' } : {}),
  };
}

/** Where a mapping sends its invocation records (Kinesis ones unless told otherwise). */
export interface OnFailureSink<TRecord = ReturnType<typeof onFailureRecord>> {
  send(record: TRecord): Promise<void>;
}

/** The queue URL LocalStack serves for an SQS queue ARN (`<endpoint>/<account>/<name>`). */
export function queueUrlFromArn(arn: string, endpoint: string): string {
  const [, , , , account, name] = arn.split(':');
  if (!account || !name) throw new Error(`expected an SQS queue ARN (given ${arn})`);
  return `${endpoint.replace(/\/$/, '')}/${account}/${name}`;
}

/** Sends invocation records to an SQS queue, as Lambda does for an SQS on-failure destination. */
export function sqsOnFailureSink<TRecord = ReturnType<typeof onFailureRecord>>(
  client: SQSClient,
  queueUrl: string,
): OnFailureSink<TRecord> {
  return {
    async send(record) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
    },
  };
}
