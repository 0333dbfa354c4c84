import { Duration, Size, Validations } from 'aws-cdk-lib';
import {
  AppendDelimiterToRecordProcessor,
  type CfnDeliveryStream,
  Compression,
  DeliveryStream,
  type ISource,
  MetadataExtractionProcessor,
  S3Bucket,
  StreamEncryption,
} from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link PartitionedDelivery}. */
export interface PartitionedDeliveryProps {
  /** The warehouse bucket. */
  readonly bucket: IBucket;
  /**
   * Object key prefix with dynamic partition keys, e.g.
   * `raw/pipeline=x/event_date=!{partitionKeyFromQuery:event_date}/`; ends in `/`.
   */
  readonly prefix: string;
  /** JQ 1.6 query per partition key used in `prefix`, evaluated on each JSON record. */
  readonly partitionKeys: Readonly<Record<string, string>>;
  /** Prefix of records Firehose could not partition or deliver. */
  readonly errorOutputPrefix: string;
  /**
   * Where records come from (a Kinesis stream or an MSK topic).
   * @default - direct put (PutRecord / PutRecordBatch), encrypted at rest with an AWS owned key
   */
  readonly source?: ISource;
  /**
   * How long Firehose buffers before writing an object: 60-900 s with dynamic partitioning.
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Buffer size per partition before writing an object: 64-128 MiB with dynamic partitioning.
   * @default Size.mebibytes(128)
   */
  readonly bufferingSize?: Size;
  /**
   * @default Compression.GZIP
   */
  readonly compression?: Compression;
  /**
   * Whether each record already ends in a newline, as the aggregator's Firehose sink writes them.
   * Otherwise Firehose appends one (AppendDelimiterToRecord): Athena's JSON SerDe reads one record
   * per line. Never both: the second newline makes a blank line, which Athena reads as a row of NULLs.
   * @default false
   */
  readonly recordsEndInNewline?: boolean;
}

/**
 * A Firehose delivery stream into the warehouse bucket, partitioned by values taken from each JSON
 * record (dynamic partitioning with JQ), one record per line, compressed, failures under an error
 * prefix.
 */
export class PartitionedDelivery extends Construct {
  public readonly deliveryStream: DeliveryStream;

  constructor(scope: Construct, id: string, props: PartitionedDeliveryProps) {
    super(scope, id);
    const used = [...props.prefix.matchAll(/!\{partitionKeyFromQuery:([^}]+)\}/g)].map((m) => m[1] ?? '');
    const declared = Object.keys(props.partitionKeys);
    const missing = used.filter((key) => !declared.includes(key));
    const unused = declared.filter((key) => !used.includes(key));
    if (missing.length || unused.length || !props.prefix.endsWith('/')) {
      throw new Error(
        `prefix must end in "/" and use exactly the partitionKeys (given prefix "${props.prefix}" ` +
          `with keys ${JSON.stringify(declared)})`,
      );
    }
    const interval = props.bufferingInterval ?? Duration.seconds(300);
    const size = props.bufferingSize ?? Size.mebibytes(128);
    if (interval.toSeconds() < 60 || interval.toSeconds() > 900) {
      throw new Error(
        `bufferingInterval must be 60-900 s with dynamic partitioning (given ${interval.toSeconds()})`,
      );
    }
    if (size.toMebibytes() < 64 || size.toMebibytes() > 128) {
      throw new Error(
        `bufferingSize must be 64-128 MiB with dynamic partitioning (given ${size.toMebibytes()})`,
      );
    }

    this.deliveryStream = new DeliveryStream(this, 'Stream', {
      source: props.source,
      encryption: props.source ? undefined : StreamEncryption.awsOwnedKey(),
      destination: new S3Bucket(props.bucket, {
        dataOutputPrefix: props.prefix,
        errorOutputPrefix: props.errorOutputPrefix,
        compression: props.compression ?? Compression.GZIP,
        bufferingInterval: interval,
        bufferingSize: size,
        dynamicPartitioning: { enabled: true },
        processors: [
          // jq16 renders `{"key":<query>,...}`; jq 1.6 takes only a term or `term | term` after the
          // colon, so `.ts/1000|strftime(...)` fails to compile unless it is parenthesized.
          MetadataExtractionProcessor.jq16(
            Object.fromEntries(
              Object.entries(props.partitionKeys).map(([key, query]) => [key, `(${query})`]),
            ),
          ),
          ...(props.recordsEndInNewline ? [] : [new AppendDelimiterToRecordProcessor()]),
        ],
      }),
    });
    const resource = this.deliveryStream.node.defaultChild as CfnDeliveryStream;
    // The L2 takes MSK sources but types every sourced stream KinesisStreamAsSource.
    const msk = resource.mskSourceConfiguration !== undefined;
    if (msk) resource.deliveryStreamType = 'MSKAsSource';
    if (props.source) {
      Validations.of(this.deliveryStream).acknowledge({
        id: 'AwsSolutions-KDF1',
        reason: msk
          ? 'Firehose encrypts at rest only direct-put delivery streams; the MSK Serverless topic is ' +
            'encrypted at rest by MSK, and so is the destination bucket.'
          : 'Firehose rejects server-side encryption on a delivery stream whose source is a Kinesis stream; ' +
            'the source stream is encrypted, and so is the destination bucket.',
      });
    }
  }
}
