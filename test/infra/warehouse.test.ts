import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAggregateRecords, toLateRecords } from '../../functions/adapters/aggregator/output-records.js';
import { removeAssembly, SYNTH_TIMEOUT_MS, type SynthesizedApp, synthesize } from './build-app.js';

// One synthesis for the whole file: bundling the functions is the slow part.
let app: SynthesizedApp;
beforeAll(async () => {
  app = await synthesize();
}, SYNTH_TIMEOUT_MS);
afterAll(() => removeAssembly(app?.outdir));

describe('warehouse', () => {
  it('keeps every bucket encrypted and private, and the warehouse and state buckets versioned and logged', () => {
    const buckets = Object.values(app.template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(3);
    for (const bucket of buckets) {
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
    }
    for (const prefix of ['warehouse/', 'state/']) {
      app.template.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { LogFilePrefix: prefix, DestinationBucketName: Match.anyValue() },
      });
    }
  });

  it('expires old checkpoint versions of the state bucket', () => {
    app.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'state/', DestinationBucketName: Match.anyValue() },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 3 }, Status: 'Enabled' })],
      },
    });
  });

  it('copies raw records by event date and hour from the stream, GZIP, errors apart', () => {
    app.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix:
          'raw/pipeline=taxi-rides/event_date=!{partitionKeyFromQuery:event_date}/event_hour=!{partitionKeyFromQuery:event_hour}/',
        ErrorOutputPrefix: Match.stringLikeRegexp(
          '^errors/raw-taxi-rides/!\\{firehose:error-output-type\\}/',
        ),
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
        DynamicPartitioningConfiguration: { Enabled: true },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: Match.arrayWith([
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([
                {
                  ParameterName: 'MetadataExtractionQuery',
                  // A JQ object construction, not JSON; jq 1.6 needs each query in parentheses.
                  ParameterValue:
                    '{"event_date":(.ts/1000|strftime("%Y-%m-%d")),"event_hour":(.ts/1000|strftime("%H"))}',
                },
              ]),
            },
          ]),
        },
      }),
    });
  });

  it('delivers window results of all pipelines through one encrypted direct-put stream by window start', () => {
    app.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix:
          'aggregates/pipeline=!{partitionKeyFromQuery:pipeline}/window_date=!{partitionKeyFromQuery:window_date}/' +
          'window_hour=!{partitionKeyFromQuery:window_hour}/',
      }),
    });
  });

  it('ends each record with exactly one newline: Firehose appends it to raw records, the aggregator writes its own', () => {
    // A second newline is a blank line, which Athena's JSON SerDe reads as a row of NULLs.
    const streams = Object.values(app.template.findResources('AWS::KinesisFirehose::DeliveryStream'));
    const appends = (stream: (typeof streams)[number]) =>
      (stream.Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration?.Processors ?? []).some(
        (processor: { Type: string }) => processor.Type === 'AppendDelimiterToRecord',
      );
    const byType = streams.map((stream) => [stream.Properties.DeliveryStreamType, appends(stream)]);
    expect(byType.filter(([type]) => type === 'KinesisStreamAsSource')).toEqual(
      Array.from({ length: streams.length - 2 }, () => ['KinesisStreamAsSource', true]),
    );
    expect(byType.filter(([type]) => type === 'DirectPut')).toEqual([
      ['DirectPut', false],
      ['DirectPut', false],
    ]);
  });

  it('delivers late records under late/ by pipeline and event date', () => {
    app.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix:
          'late/pipeline=!{partitionKeyFromQuery:pipeline}/event_date=!{partitionKeyFromQuery:event_date}/',
      }),
    });
  });
});

describe('query', () => {
  it('projects the raw table partitions over pipelines, dates and hours', () => {
    app.template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'raw',
        PartitionKeys: [
          { Name: 'pipeline', Type: 'string' },
          { Name: 'event_date', Type: 'string' },
          { Name: 'event_hour', Type: 'string' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.pipeline.type': 'enum',
          'projection.pipeline.values': 'taxi-rides,web-access-logs,click-sessions',
          'projection.event_date.type': 'date',
          'projection.event_hour.digits': '2',
          'storage.location.template': {
            'Fn::Sub': [
              // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub template
              's3://${Bucket}/raw/pipeline=${!pipeline}/event_date=${!event_date}/event_hour=${!event_hour}/',
              Match.anyValue(),
            ],
          },
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
        }),
      }),
    });
  });

  it('has aggregates and late tables with a column for every field the aggregator writes', () => {
    // Prepare: one record of each kind as the aggregator writes them (a late one from a KPL record).
    const [aggregate] = toAggregateRecords(
      [{ key: 'k', windowStart: 0, windowEnd: 60_000, values: { n: 1 } }],
      {
        pipeline: 'taxi-rides',
        shard: 'shardId-000000000000',
        emittedAt: 1,
      },
    );
    const [late] = toLateRecords(
      [
        {
          key: 'k',
          ts: 1,
          value: { n: 1 },
          windowStart: 0,
          windowEnd: 60_000,
          streamTime: 200_000,
          lateness: 199_999,
        },
      ],
      {
        pipeline: 'taxi-rides',
        shard: 'shardId-000000000000',
        positionOf: () => ({ sequenceNumber: '1', subSequenceNumber: 2 }),
      },
    );
    const columnsOf = (name: string) => {
      const [table] = Object.values(
        app.template.findResources('AWS::Glue::Table', {
          Properties: { TableInput: Match.objectLike({ Name: name }) },
        }),
      );
      const input = table?.Properties.TableInput;
      return [...input.StorageDescriptor.Columns, ...input.PartitionKeys].map(
        (c: { Name: string }) => c.Name,
      );
    };

    // Act + Assess: every field has a column (partition columns come from the object's path).
    expect(Object.keys(aggregate ?? {}).filter((field) => !columnsOf('aggregates').includes(field))).toEqual(
      [],
    );
    expect(Object.keys(late ?? {}).filter((field) => !columnsOf('late').includes(field))).toEqual([]);
  });

  it('has views that keep one row of each result and late record, keyed within their partitions', () => {
    // Prepare
    const tableInput = (name: string) => {
      const [table] = Object.values(
        app.template.findResources('AWS::Glue::Table', {
          Properties: { TableInput: Match.objectLike({ Name: name }) },
        }),
      );
      return table?.Properties.TableInput;
    };
    const namesOf = (columns: { Name: string }[]) => columns.map((c) => c.Name);

    for (const [view, table, key] of [
      ['aggregates_unique', 'aggregates', ['id', 'pipeline', 'window_date', 'window_hour']],
      [
        'late_unique',
        'late',
        ['pipeline', 'event_date', 'shard', 'sequence_number', 'sub_sequence_number', 'window_start'],
      ],
    ] as const) {
      // Act: Presto's definition, as Athena reads it from the comment
      const input = tableInput(view);
      const base = tableInput(table);
      const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(input.ViewOriginalText)?.[1] ?? '';
      const definition = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));

      // Assess: every column of the table, partition columns too, in its order
      const columns = [...base.StorageDescriptor.Columns, ...base.PartitionKeys];
      expect(input).toMatchObject({
        TableType: 'VIRTUAL_VIEW',
        Parameters: { presto_view: 'true' },
        ViewExpandedText: '/* Presto View */',
        PartitionKeys: [],
      });
      expect(namesOf(input.StorageDescriptor.Columns)).toEqual(namesOf(columns));
      expect(definition).toMatchObject({ catalog: 'awsdatacatalog', schema: 'tributary_dev' });
      expect(definition.columns).toEqual(
        columns.map((c: { Name: string; Type: string }) => ({
          name: c.Name,
          type: { string: 'varchar', bigint: 'bigint' }[c.Type],
        })),
      );
      const sql: string = definition.originalSql;
      expect(sql).toContain(
        `SELECT ${namesOf(columns)
          .map((n) => `"${n}"`)
          .join(', ')}\n`,
      );
      expect(sql).toContain(`PARTITION BY ${key.map((n) => `"${n}"`).join(', ')} ORDER BY`);
      expect(sql).toContain(`FROM "tributary_dev"."${table}"`);
      expect(sql).toMatch(/WHERE copy_number = 1$/);
    }
  });

  it('enforces encrypted Athena results in the workgroup', () => {
    app.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'tributary-dev',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: Match.anyValue(),
        },
      }),
    });
  });
});
