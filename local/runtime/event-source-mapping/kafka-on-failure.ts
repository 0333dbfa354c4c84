import { type KafkaRecord, type MskEventSource, mskEvent } from './msk-event.js';
import { requestContext, responseContext } from './on-failure.js';
import type { InvocationOutcome } from './response.js';

/** How one invocation of a Kafka batch went (no partial batch responses for Kafka here). */
export type KafkaInvocationOutcome = Exclude<InvocationOutcome, { kind: 'partial' }>;

/** Why Lambda gave up on Kafka records (`requestContext.condition`). */
export type KafkaFailureCondition =
  | 'RetryAttemptsExhausted'
  | 'RecordAgeExceeded'
  | 'MaximumPayloadSizeExceeded';

export interface DiscardedKafkaBatch {
  readonly records: readonly KafkaRecord[];
  readonly condition: KafkaFailureCondition;
  /** How often the records were sent to the function. */
  readonly approximateInvokeCount: number;
  readonly lastOutcome: KafkaInvocationOutcome | undefined;
}

/**
 * AWS's invocation record for a discarded Kafka batch, as an SQS or SNS destination receives it
 * (Lambda Developer Guide, "Capturing discarded batches for Amazon MSK and self-managed Apache
 * Kafka event sources"): the batch's size, source and, per `<topic>-<partition>`, its first and
 * last offset and timestamp. The records stay in the topic.
 */
export function kafkaOnFailureRecord(
  batch: DiscardedKafkaBatch,
  where: MskEventSource & { readonly functionArn: string },
  now: number = Date.now(),
) {
  const recordsInfo: Record<
    string,
    {
      firstRecordOffset: string;
      lastRecordOffset: string;
      firstRecordTimestamp: string;
      lastRecordTimestamp: string;
    }
  > = {};
  for (const r of batch.records) {
    const key = `${r.topic}-${r.partition}`;
    const at = new Date(r.timestamp).toISOString();
    const seen = recordsInfo[key];
    if (seen) Object.assign(seen, { lastRecordOffset: r.offset, lastRecordTimestamp: at });
    else
      recordsInfo[key] = {
        firstRecordOffset: r.offset,
        lastRecordOffset: r.offset,
        firstRecordTimestamp: at,
        lastRecordTimestamp: at,
      };
  }
  return {
    requestContext: requestContext(batch, where.functionArn),
    // AWS: "null if record is MaximumPayloadSizeExceeded" (the function never saw it).
    responseContext:
      batch.condition === 'MaximumPayloadSizeExceeded' ? null : responseContext(batch.lastOutcome),
    version: '1.0',
    timestamp: new Date(now).toISOString(),
    KafkaBatchInfo: {
      batchSize: batch.records.length,
      eventSourceArn: where.eventSourceArn,
      bootstrapServers: where.bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(mskEvent(batch.records, where))),
      recordsInfo,
    },
  };
}
