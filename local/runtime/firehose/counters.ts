/** Running totals of one delivery stream, for the progress display and the run summary. */
export interface DeliveryCounters {
  /** Records received: PutRecord/PutRecordBatch entries, or Kinesis user records (after KPL de-aggregation). */
  recordsIn: number;
  /** Records of an earlier, killed run replayed from the DirectPut spool (also counted in recordsIn). */
  recordsRecovered: number;
  /** Sub-records written into data objects. */
  recordsDelivered: number;
  /** Records written to the error output. */
  errorRecords: number;
  /** Objects written under Prefix. */
  objectsWritten: number;
  /** Objects written under ErrorOutputPrefix. */
  errorObjects: number;
  /** Object bytes written (after compression). */
  bytesWritten: number;
  /** Failed S3 writes (each retried; a buffer is only dropped when retries run out, which flush() reports). */
  deliveryFailures: number;
}

export function emptyCounters(): DeliveryCounters {
  return {
    recordsIn: 0,
    recordsRecovered: 0,
    recordsDelivered: 0,
    errorRecords: 0,
    objectsWritten: 0,
    errorObjects: 0,
    bytesWritten: 0,
    deliveryFailures: 0,
  };
}
