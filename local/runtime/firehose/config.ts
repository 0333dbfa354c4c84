import { z } from 'zod';
import { templateBoolean, templateNumber } from '../template/template-values.js';
import { FirehoseConfigError } from './errors.js';
import { compileJq, type JqFilter, JqSyntaxError } from './jq/index.js';
import { MskSourceConfiguration, type MskSourceSettings, mskSource } from './msk-source-config.js';
import { type CompiledPrefix, effectivePrefixes } from './prefix.js';
import { zoneFormatter } from './timestamp-format.js';

/** How one DeliveryStream of the template behaves, every setting taken from its properties. */
export interface DeliveryStreamConfig {
  readonly logicalId: string;
  readonly name: string;
  readonly source:
    | { readonly type: 'DirectPut' }
    | { readonly type: 'KinesisStreamAsSource'; readonly streamName: string }
    | MskSourceSettings;
  readonly bucket: string;
  readonly prefix: CompiledPrefix;
  readonly errorPrefix: CompiledPrefix;
  readonly bufferSizeBytes: number;
  readonly bufferIntervalMs: number;
  readonly compression: 'GZIP' | 'UNCOMPRESSED';
  /** Appended to object names: FileExtension, else `.gz` for GZIP. */
  readonly fileExtension: string;
  readonly timeZone: string;
  readonly dynamicPartitioning: boolean;
  readonly deaggregation:
    | { readonly type: 'JSON' }
    | { readonly type: 'DELIMITED'; readonly delimiter: string }
    | undefined;
  readonly metadataQuery: { readonly source: string; readonly filter: JqFilter } | undefined;
  /** AppendDelimiterToRecord's delimiter (a newline unless the template sets one). */
  readonly appendDelimiter: string | undefined;
}

const Parameter = z.object({ ParameterName: z.string(), ParameterValue: z.string() });
const Processor = z.object({ Type: z.string(), Parameters: z.array(Parameter).optional() });

const Destination = z.object({
  BucketARN: z.string().regex(/^arn:aws[\w-]*:s3:::[^/]+$/, 'an S3 bucket ARN (arn:aws:s3:::name)'),
  Prefix: z.string().optional(),
  ErrorOutputPrefix: z.string().optional(),
  BufferingHints: z
    .object({ IntervalInSeconds: templateNumber.optional(), SizeInMBs: templateNumber.optional() })
    .optional(),
  CompressionFormat: z.string().optional(),
  FileExtension: z.string().optional(),
  CustomTimeZone: z.string().optional(),
  S3BackupMode: z.string().optional(),
  DynamicPartitioningConfiguration: z.object({ Enabled: templateBoolean.optional() }).optional(),
  ProcessingConfiguration: z
    .object({ Enabled: templateBoolean.optional(), Processors: z.array(Processor).optional() })
    .optional(),
  DataFormatConversionConfiguration: z.object({ Enabled: templateBoolean.optional() }).optional(),
});

const Properties = z.object({
  DeliveryStreamName: z.string().optional(),
  DeliveryStreamType: z
    .enum(['DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource'])
    .optional(),
  KinesisStreamSourceConfiguration: z.object({ KinesisStreamARN: z.string() }).optional(),
  MSKSourceConfiguration: MskSourceConfiguration.optional(),
  ExtendedS3DestinationConfiguration: Destination.optional(),
});

/** Properties of a `AWS::KinesisFirehose::DeliveryStream` whose intrinsic functions are already resolved. */
export function parseDeliveryStream(
  logicalId: string,
  properties: unknown,
  physicalName?: string,
): DeliveryStreamConfig {
  const parsed = Properties.safeParse(properties);
  if (!parsed.success) {
    throw new FirehoseConfigError(
      `DeliveryStream ${logicalId}: unexpected properties: ${z.prettifyError(parsed.error)}`,
    );
  }
  const p = parsed.data;
  const where = `DeliveryStream ${logicalId}`;
  const destination = p.ExtendedS3DestinationConfiguration;
  if (destination === undefined) {
    throw new FirehoseConfigError(
      `${where}: expected ExtendedS3DestinationConfiguration (the only destination emulated locally)`,
    );
  }
  const type = p.DeliveryStreamType ?? 'DirectPut';
  if (type === 'DatabaseAsSource') {
    throw new FirehoseConfigError(
      `${where}: DeliveryStreamType ${type} is not emulated (DirectPut, KinesisStreamAsSource and MSKAsSource are)`,
    );
  }
  if (destination.DataFormatConversionConfiguration?.Enabled === true) {
    throw new FirehoseConfigError(
      `${where}: DataFormatConversionConfiguration (Parquet/ORC) is not emulated`,
    );
  }
  const compression = destination.CompressionFormat ?? 'UNCOMPRESSED';
  if (compression !== 'GZIP' && compression !== 'UNCOMPRESSED') {
    throw new FirehoseConfigError(
      `${where}: CompressionFormat must be GZIP or UNCOMPRESSED locally (given ${compression})`,
    );
  }
  // Enabled makes Firehose write every source record to a second bucket too; nothing here does that.
  if ((destination.S3BackupMode ?? 'Disabled') !== 'Disabled') {
    throw new FirehoseConfigError(
      `${where}: S3BackupMode ${destination.S3BackupMode} is not emulated (only Disabled is)`,
    );
  }
  const dynamicPartitioning = destination.DynamicPartitioningConfiguration?.Enabled === true;
  const processors =
    destination.ProcessingConfiguration?.Enabled === false
      ? []
      : (destination.ProcessingConfiguration?.Processors ?? []);
  const processing = readProcessors(where, processors);
  const { data, error } = wrap(where, () =>
    effectivePrefixes(destination.Prefix, destination.ErrorOutputPrefix, dynamicPartitioning),
  );
  if (data.partitionKeys.length > 0 && processing.metadataQuery === undefined) {
    throw new FirehoseConfigError(
      `${where}: Prefix uses partitionKeyFromQuery but no MetadataExtraction processor is configured`,
    );
  }
  // Firehose needs at least one partitioning method; partitionKeyFromLambda is refused above, so
  // the Prefix must use partitionKeyFromQuery (which in turn needs MetadataExtraction).
  if (dynamicPartitioning && data.partitionKeys.length === 0) {
    throw new FirehoseConfigError(
      `${where}: DynamicPartitioningConfiguration is enabled but Prefix uses no !{partitionKeyFromQuery:…} key (and a MetadataExtraction processor to give it)`,
    );
  }
  const name = physicalName ?? p.DeliveryStreamName ?? logicalId;
  return {
    logicalId,
    name,
    source: readSource(where, type, p),
    bucket: destination.BucketARN.replace(/^arn:aws[\w-]*:s3:::/, ''),
    prefix: data,
    errorPrefix: error,
    ...readBufferingHints(where, destination.BufferingHints, dynamicPartitioning),
    compression,
    fileExtension: destination.FileExtension ?? (compression === 'GZIP' ? '.gz' : ''),
    timeZone: readTimeZone(where, destination.CustomTimeZone),
    dynamicPartitioning,
    ...processing,
  };
}

/**
 * BufferingHints as Firehose accepts them (API_BufferingHints, buffering.html): SizeInMBs 1-128,
 * IntervalInSeconds 0-900, both or neither, no zero buffering with dynamic partitioning.
 */
function readBufferingHints(
  where: string,
  hints: { IntervalInSeconds?: number; SizeInMBs?: number } | undefined,
  dynamicPartitioning: boolean,
): Pick<DeliveryStreamConfig, 'bufferSizeBytes' | 'bufferIntervalMs'> {
  const size = hints?.SizeInMBs;
  const interval = hints?.IntervalInSeconds;
  if ((size === undefined) !== (interval === undefined)) {
    throw new FirehoseConfigError(
      `${where}: BufferingHints needs both SizeInMBs and IntervalInSeconds, or neither (given ${JSON.stringify(hints)})`,
    );
  }
  if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= 128)) {
    throw new FirehoseConfigError(`${where}: BufferingHints.SizeInMBs must be 1-128 (given ${size})`);
  }
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 0 && interval <= 900)) {
    throw new FirehoseConfigError(
      `${where}: BufferingHints.IntervalInSeconds must be 0-900 (given ${interval})`,
    );
  }
  if (dynamicPartitioning && interval === 0) {
    throw new FirehoseConfigError(
      `${where}: BufferingHints.IntervalInSeconds 0 (zero buffering) is not supported with dynamic partitioning`,
    );
  }
  // Firehose's defaults: 5 MiB / 300 s, and 64 MiB when dynamic partitioning is on.
  return {
    bufferSizeBytes: (size ?? (dynamicPartitioning ? 64 : 5)) * 1024 * 1024,
    bufferIntervalMs: (interval ?? 300) * 1000,
  };
}

/** CustomTimeZone, checked now so that a bad name fails at start; empty means UTC, as in the API. */
function readTimeZone(where: string, timeZone: string | undefined): string {
  if (timeZone === undefined || timeZone === '') return 'UTC';
  wrap(where, () => zoneFormatter(timeZone));
  return timeZone;
}

function wrap<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FirehoseConfigError || error instanceof JqSyntaxError) {
      throw new FirehoseConfigError(`${where}: ${error.message}`);
    }
    throw error;
  }
}

function readSource(
  where: string,
  type: DeliveryStreamConfig['source']['type'],
  p: z.infer<typeof Properties>,
): DeliveryStreamConfig['source'] {
  if (type === 'DirectPut') return { type };
  if (type === 'MSKAsSource') return mskSource(where, p.MSKSourceConfiguration);
  return { type, streamName: streamNameFromArn(where, p.KinesisStreamSourceConfiguration?.KinesisStreamARN) };
}

function streamNameFromArn(where: string, arn: string | undefined): string {
  const match = /^arn:aws[\w-]*:kinesis:[^:]*:[^:]*:stream\/(.+)$/.exec(arn ?? '');
  if (match?.[1] === undefined) {
    throw new FirehoseConfigError(
      `${where}: KinesisStreamSourceConfiguration.KinesisStreamARN must be a stream ARN (given ${arn})`,
    );
  }
  return match[1];
}

type Processing = Pick<DeliveryStreamConfig, 'deaggregation' | 'metadataQuery' | 'appendDelimiter'>;

function readProcessors(where: string, processors: readonly z.infer<typeof Processor>[]): Processing {
  const result: { -readonly [K in keyof Processing]: Processing[K] } = {
    deaggregation: undefined,
    metadataQuery: undefined,
    appendDelimiter: undefined,
  };
  for (const processor of processors) {
    const params = Object.fromEntries(
      (processor.Parameters ?? []).map((x) => [x.ParameterName, x.ParameterValue]),
    );
    switch (processor.Type) {
      case 'RecordDeAggregation':
        if (params.SubRecordType === 'DELIMITED') {
          // Without a delimiter nothing would be split: Firehose asks for one with DELIMITED.
          const delimiter = Buffer.from(params.Delimiter ?? '', 'base64').toString('utf8');
          if (delimiter === '') {
            throw new FirehoseConfigError(
              `${where}: RecordDeAggregation with SubRecordType DELIMITED needs a Delimiter (base64)`,
            );
          }
          result.deaggregation = { type: 'DELIMITED', delimiter };
        } else result.deaggregation = { type: 'JSON' };
        break;
      case 'AppendDelimiterToRecord':
        result.appendDelimiter =
          params.Delimiter === undefined ? '\n' : Buffer.from(params.Delimiter, 'base64').toString('utf8');
        break;
      case 'MetadataExtraction': {
        const engine = params.JsonParsingEngine ?? 'JQ-1.6';
        if (engine !== 'JQ-1.6')
          throw new FirehoseConfigError(`${where}: JsonParsingEngine must be JQ-1.6 (given ${engine})`);
        const query = params.MetadataExtractionQuery;
        if (query === undefined)
          throw new FirehoseConfigError(`${where}: MetadataExtraction needs a MetadataExtractionQuery`);
        result.metadataQuery = { source: query, filter: wrap(where, () => compileJq(query)) };
        break;
      }
      default:
        throw new FirehoseConfigError(
          `${where}: processor ${processor.Type} is not emulated locally (RecordDeAggregation, MetadataExtraction, AppendDelimiterToRecord are)`,
        );
    }
  }
  return result;
}
