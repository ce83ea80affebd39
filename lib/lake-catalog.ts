import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';

export interface LakeCatalogProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
}

interface Column {
  name: string;
  /** Hive type, for the Glue table. */
  type: string;
}

/** The event record's columns (README "Event record"); `customer_id` and `dt` come from the partition path. */
export const EVENT_COLUMNS: Column[] = [
  { name: 'schema_version', type: 'int' },
  { name: 'message_id', type: 'string' },
  { name: 'message_id_generated', type: 'boolean' },
  { name: 'type', type: 'string' },
  { name: 'event', type: 'string' },
  { name: 'event_raw', type: 'string' },
  { name: 'event_key', type: 'string' },
  { name: 'user_id', type: 'string' },
  { name: 'anonymous_id', type: 'string' },
  { name: 'timestamp', type: 'string' },
  { name: 'received_at', type: 'string' },
  // The message as sent, as JSON text: read fields with json_extract_scalar(message, '$.properties.x').
  { name: 'message', type: 'string' },
];

export const QUARANTINE_COLUMNS: Column[] = [
  { name: 'schema_version', type: 'int' },
  { name: 'received_at', type: 'string' },
  { name: 'index', type: 'int' },
  { name: 'message_id', type: 'string' },
  { name: 'reason', type: 'struct<code:string,message:string>' },
  { name: 'raw', type: 'string' },
  { name: 'raw_body', type: 'string' },
  { name: 'raw_truncated', type: 'boolean' },
];

export const PARTITION_COLUMNS: Column[] = [
  { name: 'customer_id', type: 'string' },
  { name: 'dt', type: 'string' },
];

/**
 * Athena over the lake with no crawler and no `MSCK REPAIR`: partition projection computes the
 * partitions from the path template. `customer_id` is an injected key, so every query names the
 * customer (`WHERE customer_id = 'acme'`) — which is also what keeps a query to one customer's data.
 * `dt` is projected as a date from 2000-01-01 to tomorrow (Replay brings years of history; device
 * clocks run ahead). `events_deduplicated` keeps one row per (customer, message_id).
 */
export class LakeCatalog extends Construct {
  readonly databaseName: string;
  readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = stack.stackName.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'Segment events landed by the destination' },
    });
    const events = this.projectedTable('Events', 'events', EVENT_COLUMNS, props.lake);
    const quarantine = this.projectedTable('Quarantine', 'quarantine', QUARANTINE_COLUMNS, props.lake);
    const view = this.dedupeView();
    for (const table of [events, quarantine, view]) table.addResourceDependency(database);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${this.databaseName}_lake`,
      description: 'Queries over the Segment lake; results encrypted, kept 30 days',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: props.queryResults.s3UrlForObject('athena/'),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  private projectedTable(
    id: string,
    area: 'events' | 'quarantine',
    columns: Column[],
    lake: s3.IBucket,
  ): glue.CfnTable {
    const location = `s3://${lake.bucketName}/${area}/`;
    return new glue.CfnTable(this, id, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: area,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.customer_id.type': 'injected',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2000-01-01,NOW+1DAYS',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${location}customer_id=\${customer_id}/dt=\${dt}/`,
        },
        partitionKeys: PARTITION_COLUMNS,
        storageDescriptor: {
          location,
          columns,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // Lines that are not JSON (none are written, but a manual upload could be) are skipped, not fatal.
            parameters: { 'ignore.malformed.json': 'true' },
          },
        },
      },
    });
  }

  /** An Athena (Presto) view, stored in Glue the way Athena stores the views it creates. */
  private dedupeView(): glue.CfnTable {
    const names = EVENT_COLUMNS.map((c) => `"${c.name}"`).join(', ');
    const originalSql =
      `SELECT ${names}, CAST(from_iso8601_timestamp("timestamp") AS timestamp(3)) AS event_time, customer_id, dt ` +
      `FROM (SELECT *, row_number() OVER (PARTITION BY customer_id, message_id ORDER BY received_at) AS copy ` +
      `FROM "${this.databaseName}"."events") WHERE copy = 1`;
    const prestoType: Record<string, string> = {
      int: 'integer',
      string: 'varchar',
      boolean: 'boolean',
      timestamp: 'timestamp(3)',
    };
    const viewColumns = [...EVENT_COLUMNS, { name: 'event_time', type: 'timestamp' }, ...PARTITION_COLUMNS];
    const presto = {
      originalSql,
      catalog: 'awsdatacatalog',
      schema: this.databaseName,
      columns: viewColumns.map((c) => ({ name: c.name, type: prestoType[c.type] })),
    };
    return new glue.CfnTable(this, 'EventsDeduplicated', {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: 'events_deduplicated',
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(presto)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: { columns: viewColumns, serdeInfo: {} },
      },
    });
  }
}
