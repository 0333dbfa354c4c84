import { Fn, Stack, Token } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link WarehouseCatalog}. */
export interface WarehouseCatalogProps {
  /** The warehouse bucket (layout of ARCHITECTURE.md: raw/, aggregates/, late/). */
  readonly bucket: IBucket;
  /** Glue database name: lower-case letters, digits and underscores. */
  readonly databaseName: string;
  /** Athena workgroup name. */
  readonly workGroupName: string;
  /** The pipelines the `pipeline` partition may take (enum projection). */
  readonly pipelines: readonly string[];
  /**
   * First date of the date projections (yyyy-MM-dd); queries before it find no partitions.
   * @default '2025-01-01'
   */
  readonly projectionStartDate?: string;
  /**
   * Bytes one Athena query may scan before it is cancelled.
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
}

interface Column {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
}

const OPENX_JSON = 'org.openx.data.jsonserde.JsonSerDe';

/** The Presto/Trino type of each Hive type the tables use, for a view's definition. */
const PRESTO_TYPES: Readonly<Record<string, string>> = {
  string: 'varchar',
  bigint: 'bigint',
  int: 'integer',
};

/** A view keeping one row of each group of copies: the first by `order` among rows equal on `key`. */
interface DedupView {
  readonly name: string;
  readonly description: string;
  /** The table it reads, and its columns (partition columns last, as Athena lists them). */
  readonly table: string;
  readonly columns: readonly Column[];
  /** What makes two rows copies of one another. */
  readonly key: readonly string[];
  readonly order: string;
}

/**
 * Glue tables over the warehouse with partition projection (no crawler, no `MSCK REPAIR`: files
 * are queryable the moment Firehose writes them) and an Athena workgroup whose results are
 * encrypted, with that setting enforced on every query.
 */
export class WarehouseCatalog extends Construct {
  public readonly database: CfnDatabase;
  public readonly rawTable: CfnTable;
  public readonly aggregatesTable: CfnTable;
  public readonly lateTable: CfnTable;
  /** `aggregates` with one row per result id (a re-emitted result counted once). */
  public readonly aggregatesUniqueView: CfnTable;
  /** `late` with one row per record and window missed (a late record sent twice counted once). */
  public readonly lateUniqueView: CfnTable;
  public readonly workGroup: CfnWorkGroup;

  constructor(scope: Construct, id: string, props: WarehouseCatalogProps) {
    super(scope, id);
    // A literal: the views' definitions name it inside base64 text, where a token cannot resolve.
    if (Token.isUnresolved(props.databaseName) || !/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(
        `databaseName must be lower-case letters, digits and "_" (given "${props.databaseName}")`,
      );
    }
    const start = props.projectionStartDate ?? '2025-01-01';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start)) {
      throw new Error(`projectionStartDate must be yyyy-MM-dd (given "${start}")`);
    }
    const account = Stack.of(this).account;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: props.databaseName,
        description: 'Tributary warehouse: raw events, window results, late records',
      },
    });

    const pipelineEnum = {
      'projection.pipeline.type': 'enum',
      'projection.pipeline.values': props.pipelines.join(','),
    };
    const dateProjection = (key: string) => ({
      [`projection.${key}.type`]: 'date',
      [`projection.${key}.format`]: 'yyyy-MM-dd',
      [`projection.${key}.range`]: `${start},NOW`,
      [`projection.${key}.interval`]: '1',
      [`projection.${key}.interval.unit`]: 'DAYS',
    });
    const hourProjection = (key: string) => ({
      [`projection.${key}.type`]: 'integer',
      [`projection.${key}.range`]: '0,23',
      [`projection.${key}.digits`]: '2',
    });

    this.rawTable = this.table('RawTable', props, {
      name: 'raw',
      description: 'Envelopes as produced: {v, pipeline, key, ts, event}, partitioned by event time',
      folder: 'raw',
      columns: [
        { name: 'v', type: 'int', comment: 'envelope version' },
        { name: 'key', type: 'string', comment: 'pipeline key (the partition key of the stream)' },
        { name: 'ts', type: 'bigint', comment: 'event time, epoch ms' },
        { name: 'event', type: 'string', comment: 'the validated event as JSON (use json_extract)' },
      ],
      partitions: [
        { name: 'pipeline', type: 'string' },
        { name: 'event_date', type: 'string' },
        { name: 'event_hour', type: 'string' },
      ],
      projection: { ...pipelineEnum, ...dateProjection('event_date'), ...hourProjection('event_hour') },
    });
    const aggregates = {
      name: 'aggregates',
      description: 'Final window results; `id` identifies a result, so re-emissions can be deduplicated',
      folder: 'aggregates',
      columns: [
        { name: 'id', type: 'string', comment: 'sha256 of pipeline|key|window_start|window_end|shard' },
        { name: 'key', type: 'string' },
        { name: 'window_start', type: 'bigint', comment: 'epoch ms, inclusive' },
        {
          name: 'window_end',
          type: 'bigint',
          comment: 'epoch ms: exclusive for tumbling and hopping, inclusive for sliding and session windows',
        },
        { name: 'values', type: 'string', comment: 'aggregation name -> value, as JSON' },
        { name: 'shard', type: 'string' },
        { name: 'emitted_at', type: 'bigint', comment: 'epoch ms' },
      ],
      partitions: [
        { name: 'pipeline', type: 'string' },
        { name: 'window_date', type: 'string' },
        { name: 'window_hour', type: 'string' },
      ],
      projection: { ...pipelineEnum, ...dateProjection('window_date'), ...hourProjection('window_hour') },
    };
    this.aggregatesTable = this.table('AggregatesTable', props, aggregates);
    const late = {
      name: 'late',
      description: 'Records that arrived after their window closed (end + grace)',
      folder: 'late',
      columns: [
        { name: 'key', type: 'string' },
        { name: 'ts', type: 'bigint', comment: 'event time, epoch ms' },
        { name: 'window_start', type: 'bigint' },
        { name: 'window_end', type: 'bigint' },
        { name: 'stream_time', type: 'bigint', comment: 'stream time when the record arrived' },
        { name: 'lateness_ms', type: 'bigint' },
        { name: 'shard', type: 'string' },
        { name: 'sequence_number', type: 'string' },
        {
          name: 'sub_sequence_number',
          type: 'bigint',
          comment: 'position inside a KPL-aggregated record; null for a plain record',
        },
        { name: 'event', type: 'string', comment: 'the event as JSON' },
      ],
      partitions: [
        { name: 'pipeline', type: 'string' },
        { name: 'event_date', type: 'string' },
      ],
      projection: { ...pipelineEnum, ...dateProjection('event_date') },
    };
    this.lateTable = this.table('LateTable', props, late);

    // Firehose delivers at least once and the pipeline may emit a result again (a retried batch, a
    // redrive racing a batch): these views count each once. Their keys include the partition
    // columns, which each key determines (a result's id hashes its pipeline and window start, a
    // late row's event date comes from its event time), so that Athena can push a query's partition
    // filter below the window function instead of reading every projected partition.
    this.aggregatesUniqueView = this.dedupView('AggregatesUniqueView', props, {
      name: 'aggregates_unique',
      description: 'aggregates, one row per result id (the first emitted)',
      table: aggregates.name,
      columns: [...aggregates.columns, ...aggregates.partitions],
      key: ['id', 'pipeline', 'window_date', 'window_hour'],
      order: 'emitted_at',
    });
    this.lateUniqueView = this.dedupView('LateUniqueView', props, {
      name: 'late_unique',
      description:
        'late, one row per record and window missed (shard, sequence and sub-sequence number, window start)',
      table: late.name,
      columns: [...late.columns, ...late.partitions],
      key: ['pipeline', 'event_date', 'shard', 'sequence_number', 'sub_sequence_number', 'window_start'],
      order: 'stream_time',
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'Tributary warehouse queries; results encrypted (SSE-S3) under athena-results/',
      recursiveDeleteOption: true,
      state: 'ENABLED',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: props.bucket.s3UrlForObject('athena-results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  /**
   * A view as Athena stores one in the Glue catalog: a VIRTUAL_VIEW table whose original text is
   * Presto's view definition (SQL, catalog, schema and columns as JSON, base64) in a comment, with
   * the same columns in Hive types in its storage descriptor.
   */
  private dedupView(id: string, props: WarehouseCatalogProps, v: DedupView): CfnTable {
    const quoted = (name: string) => `"${name}"`;
    const sql = [
      `SELECT ${v.columns.map((c) => quoted(c.name)).join(', ')}`,
      'FROM (',
      `  SELECT *, row_number() OVER (PARTITION BY ${v.key.map(quoted).join(', ')} ORDER BY ${quoted(v.order)}) AS copy_number`,
      `  FROM ${quoted(props.databaseName)}.${quoted(v.table)}`,
      ')',
      'WHERE copy_number = 1',
    ].join('\n');
    const definition = {
      originalSql: sql,
      catalog: 'awsdatacatalog',
      schema: props.databaseName,
      columns: v.columns.map((c) => {
        const type = PRESTO_TYPES[c.type];
        if (!type) throw new Error(`no Presto type for column ${c.name} of Hive type ${c.type}`);
        return { name: c.name, type };
      }),
    };
    const view = new CfnTable(this, id, {
      catalogId: this.database.catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: v.name,
        description: v.description,
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        partitionKeys: [],
        storageDescriptor: {
          columns: v.columns.map(({ name, type }) => ({ name, type })),
          serdeInfo: {},
        },
      },
    });
    view.node.addDependency(this.database);
    return view;
  }

  private table(
    id: string,
    props: WarehouseCatalogProps,
    t: {
      name: string;
      description: string;
      folder: string;
      columns: Column[];
      partitions: Column[];
      projection: Record<string, string>;
    },
  ): CfnTable {
    const keys = t.partitions.map((p) => `${p.name}=\${!${p.name}}`).join('/');
    // Fn::Sub renders `${!name}` as the literal `${name}` that partition projection expects.
    const template = Fn.sub(`s3://\${Bucket}/${t.folder}/${keys}/`, { Bucket: props.bucket.bucketName });
    const table = new CfnTable(this, id, {
      catalogId: this.database.catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: t.name,
        description: t.description,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: t.partitions,
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          ...t.projection,
          'storage.location.template': template,
        },
        storageDescriptor: {
          location: props.bucket.s3UrlForObject(`${t.folder}/`),
          columns: t.columns,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: OPENX_JSON,
            // Nested objects land in string columns as JSON text; bad lines become NULLs, not errors.
            parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
          },
        },
      },
    });
    table.node.addDependency(this.database);
    return table;
  }
}
