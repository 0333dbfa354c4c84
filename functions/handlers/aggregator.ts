import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';

/** Aggregator Lambda (Kinesis event source mapping, partial batch responses). */
export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  // Placeholder until the adapter lands: fail the whole batch rather than acknowledge unprocessed records.
  const first = event.Records[0];
  return { batchItemFailures: first ? [{ itemIdentifier: first.kinesis.sequenceNumber }] : [] };
};
