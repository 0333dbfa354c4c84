import { PutRecordBatchCommand, type PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { DeliveryError } from '../errors.js';
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from '../retry.js';
import { chunkBySize, sendWithRetries } from './batching.js';
import type { RecordSink } from './record-sink.js';

/** PutRecordBatch limits: 500 records, 4 MiB per call, 1,000 KiB per record. */
export const FIREHOSE_LIMITS = {
  maxRecords: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
};

/** The call of a Firehose client this sink makes (a real FirehoseClient, or a stub). */
export interface FirehoseSinkClient {
  send(command: PutRecordBatchCommand): Promise<PutRecordBatchCommandOutput>;
}

export interface FirehoseSinkProps {
  readonly client: FirehoseSinkClient;
  readonly deliveryStreamName: string;
  readonly backoff?: BackoffOptions;
}

/** Firehose direct put: one JSON line per record, PutRecordBatch, failed entries retried. */
export class FirehoseSink implements RecordSink {
  private readonly client: FirehoseSinkClient;
  private readonly deliveryStreamName: string;
  private readonly backoff: ResolvedBackoff;

  constructor(props: FirehoseSinkProps) {
    this.client = props.client;
    this.deliveryStreamName = props.deliveryStreamName;
    this.backoff = resolveBackoff(props.backoff);
  }

  async put(records: readonly object[]): Promise<{ readonly tooLarge: readonly object[] }> {
    const tooLarge: object[] = [];
    const lines: Buffer[] = [];
    for (const record of records) {
      // The line ends here, so the delivery stream must not append another (recordsEndInNewline in
      // infra/constructs/partitioned-delivery.ts): a second newline is a blank line, which Athena
      // reads as a row of NULLs. Ending it here also works with streams that have no processing,
      // LocalStack's Firehose included.
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      if (line.length > FIREHOSE_LIMITS.maxRecordBytes) tooLarge.push(record);
      else lines.push(line);
    }
    const batches = chunkBySize(
      lines,
      FIREHOSE_LIMITS.maxRecords,
      FIREHOSE_LIMITS.maxBatchBytes,
      (l) => l.length,
    );
    for (const batch of batches) {
      const outcome = await sendWithRetries(
        batch,
        async (pending) => {
          const out = await this.client.send(
            new PutRecordBatchCommand({
              DeliveryStreamName: this.deliveryStreamName,
              Records: pending.map((data) => ({ Data: data })),
            }),
          );
          if (!out.FailedPutCount) return [];
          const failed = (out.RequestResponses ?? []).flatMap((response, index) =>
            response.ErrorCode
              ? [{ index, error: `${response.ErrorCode}: ${response.ErrorMessage ?? ''}` }]
              : [],
          );
          // A count without per-entry codes cannot say which ones failed: resend them all.
          return failed.length > 0
            ? failed
            : pending.map((_, index) => ({ index, error: `FailedPutCount ${out.FailedPutCount}` }));
        },
        this.backoff,
      );
      if (outcome.failures.length > 0) {
        throw new DeliveryError(
          `Firehose ${this.deliveryStreamName}`,
          outcome.failures.length,
          outcome.attempts,
          outcome.failures.map((f) => f.error),
        );
      }
    }
    return { tooLarge };
  }
}
