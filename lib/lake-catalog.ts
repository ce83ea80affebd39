import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { STAGING_PREFIX, STAGING_TABLE } from '../domain/contract/curated-table';
import {
  ERASE_IDS_COLUMNS,
  ERASE_IDS_TABLE,
  ERASE_PASSES_PREFIX,
  ERASED_ROWS_COLUMNS,
  ERASED_ROWS_PREFIX,
  ERASED_ROWS_TABLE,
  eraseIdsKey,
} from '../domain/contract/erasure';
import { IDENTITIES_TABLE, USERS_TABLE } from '../domain/contract/identity';
import {
  LANDING_V1_SUFFIX,
  type LakeArea,
  landingPrefix,
  PARTITIONED_BY_CUSTOMER,
} from '../domain/contract/lake-areas';
import {
  type Column,
  EVENT_FIELDS,
  glueColumns,
  LEDGER_FIELDS,
  PARTITION_KEYS,
  QUARANTINE_FIELDS,
} from '../domain/contract/lake-records';
import { ATHENA_RESULTS_PREFIX } from '../domain/contract/sql/athena-rules';
import { athenaIdentityViews, IDENTITIES_COLUMNS, USERS_COLUMNS } from '../domain/contract/sql/identity-sql';
import {
  ATHENA_EVENT_TIME,
  COMPLETENESS_COLUMNS,
  COMPLETENESS_VIEW,
  CURATED_COMPLETENESS_COLUMNS,
  CURATED_COMPLETENESS_VIEW,
  completenessSql,
  curatedCompletenessSql,
  EVENTS_DEDUPLICATED_VIEW,
  eventsDeduplicatedSql,
  INTENT_OUTCOMES_COLUMNS,
  INTENT_OUTCOMES_VIEW,
  intentOutcomesSql,
} from '../domain/contract/sql/lake-views-sql';
import { glueDatabaseName } from '../domain/contract/stack-outputs';

export interface LakeCatalogProps {
  readonly lake: s3.IBucket;
  readonly queryResults: s3.IBucket;
  /** The most one query may scan, in GiB. */
  readonly bytesScannedCutoffGiB: number;
}

/**
 * The landing tables, by receive date (domain/contract/lake-areas.ts): events partitioned by customer
 * and `received_dt`, quarantine and ledger by `received_dt` alone (customer is a column). `dt` — the
 * event's own date — is a column. Columns come from the lake contract.
 */
const EVENT_COLUMNS: Column[] = glueColumns(EVENT_FIELDS, ['customer_id']);
const QUARANTINE_COLUMNS: Column[] = glueColumns(QUARANTINE_FIELDS, []);
const LEDGER_COLUMNS: Column[] = glueColumns(LEDGER_FIELDS, []);

/** The tables of the first layout (`<area>/customer_id=<id>/dt=<event date>/`), kept as `<area>_v1`. */
const LEGACY_PARTITION_COLUMNS: Column[] = PARTITION_KEYS.map((name) => ({ name, type: 'string' }));

interface Layout {
  /** Partition columns, in path order. */
  partitions: Column[];
  parameters: Record<string, string>;
  /** The partition path under the bucket, with Athena's `${…}` placeholders. */
  template: string;
}

const RECEIVED_DT_PROJECTION = {
  'projection.received_dt.type': 'date',
  'projection.received_dt.format': 'yyyy-MM-dd',
  // Receive dates start when the stack first took traffic and never run ahead of today.
  'projection.received_dt.range': '2025-01-01,NOW',
  'projection.received_dt.interval': '1',
  'projection.received_dt.interval.unit': 'DAYS',
};
const CUSTOMER_PROJECTION = { 'projection.customer_id.type': 'injected' };

function landingLayout(area: LakeArea): Layout {
  const received = { name: 'received_dt', type: 'string' };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's own ${...} placeholders, not JavaScript
  const template = landingPrefix(area, '${customer_id}', '${received_dt}');
  return PARTITIONED_BY_CUSTOMER[area]
    ? {
        partitions: [{ name: 'customer_id', type: 'string' }, received],
        parameters: { ...CUSTOMER_PROJECTION, ...RECEIVED_DT_PROJECTION },
        template,
      }
    : { partitions: [received], parameters: RECEIVED_DT_PROJECTION, template };
}

const legacyLayout = (area: LakeArea): Layout => ({
  partitions: LEGACY_PARTITION_COLUMNS,
  parameters: {
    ...CUSTOMER_PROJECTION,
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': '2000-01-01,NOW+1DAYS',
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
  },
  template: `${area}/customer_id=\${customer_id}/dt=\${dt}/`,
});

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
    this.databaseName = glueDatabaseName(stack.stackName);
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'Segment events landed by the destination' },
    });
    // The landing tables keep the construct ids (and so the logical ids) they had in the first layout:
    // updated in place, never replaced; the first layout's data stays readable in the `_v1` tables.
    const tables = [
      this.projectedTable('Events', 'events', EVENT_COLUMNS, landingLayout('events'), props.lake),
      this.projectedTable(
        'Quarantine',
        'quarantine',
        QUARANTINE_COLUMNS,
        landingLayout('quarantine'),
        props.lake,
      ),
      this.projectedTable('Ledger', 'ledger', LEDGER_COLUMNS, landingLayout('ledger'), props.lake),
      this.projectedTable(
        'EventsV1',
        'events',
        glueColumns(EVENT_FIELDS),
        legacyLayout('events'),
        props.lake,
        LANDING_V1_SUFFIX,
      ),
      this.projectedTable(
        'QuarantineV1',
        'quarantine',
        glueColumns(QUARANTINE_FIELDS),
        legacyLayout('quarantine'),
        props.lake,
        LANDING_V1_SUFFIX,
      ),
      this.projectedTable(
        'LedgerV1',
        'ledger',
        glueColumns(LEDGER_FIELDS),
        legacyLayout('ledger'),
        props.lake,
        LANDING_V1_SUFFIX,
      ),
      this.stagingTable(props.lake),
      this.erasedRowsTable(props.lake),
      this.eraseIdsTable(props.lake),
      this.dedupeView(),
      this.completenessView(),
      this.curatedCompletenessView(),
      this.intentOutcomesView(),
      ...this.identityViews(),
      ...this.qualityViews(),
    ];
    for (const table of tables) table.addResourceDependency(database);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: `${this.databaseName}_lake`,
      description: 'Queries over the Segment lake; results encrypted, kept 30 days',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffGiB * 1024 ** 3,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: props.queryResults.s3UrlForObject(ATHENA_RESULTS_PREFIX),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  private projectedTable(
    id: string,
    area: LakeArea,
    columns: Column[],
    layout: Layout,
    lake: s3.IBucket,
    suffix = '',
  ): glue.CfnTable {
    const location = `s3://${lake.bucketName}/${area}/`;
    return new glue.CfnTable(this, id, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: `${area}${suffix}`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          ...layout.parameters,
          'storage.location.template': `s3://${lake.bucketName}/${layout.template}`,
        },
        partitionKeys: layout.partitions,
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

  /**
   * The AWS compaction's staging (lib/curated-compaction.ts): per run and customer, a symlink manifest
   * lists the run's new landing objects, and this table reads exactly those — gzip JSON event lines, the
   * events table's columns. Both keys are injected, so every read names its run and its customers.
   */
  private stagingTable(lake: s3.IBucket): glue.CfnTable {
    const location = `s3://${lake.bucketName}/${STAGING_PREFIX}/`;
    return new glue.CfnTable(this, 'CompactionStaging', {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: STAGING_TABLE,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.run_id.type': 'injected',
          'projection.customer_id.type': 'injected',
          'storage.location.template': `${location}run_id=\${run_id}/customer_id=\${customer_id}/`,
        },
        partitionKeys: [
          { name: 'run_id', type: 'string' },
          { name: 'customer_id', type: 'string' },
        ],
        storageDescriptor: {
          location,
          columns: EVENT_COLUMNS,
          inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'true' },
          },
        },
      },
    });
  }

  /**
   * The ids an erase pass joins with (lib/user-erasure.ts): one file per customer and pass, both keys
   * injected, so every statement names its pass and the SQL never names a user.
   */
  private eraseIdsTable(lake: s3.IBucket): glue.CfnTable {
    const location = `s3://${lake.bucketName}/${ERASE_PASSES_PREFIX}/`;
    return new glue.CfnTable(this, 'EraseIds', {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: ERASE_IDS_TABLE,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.customer_id.type': 'injected',
          'projection.pass_id.type': 'injected',
          // The keys as Athena's projection placeholders (`${customer_id}`), in the contract's layout.
          'storage.location.template': `s3://${lake.bucketName}/${eraseIdsKey(placeholder('customer_id'), placeholder('pass_id')).replace(/ids\.json$/, '')}`,
        },
        partitionKeys: [
          { name: 'customer_id', type: 'string' },
          { name: 'pass_id', type: 'string' },
        ],
        storageDescriptor: {
          location,
          columns: ERASE_IDS_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });
  }

  /** What Segment deletes erased from the landing zone, per customer and receive day (contract/erasure.ts). */
  private erasedRowsTable(lake: s3.IBucket): glue.CfnTable {
    return new glue.CfnTable(this, 'ErasedRows', {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name: ERASED_ROWS_TABLE,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json' },
        storageDescriptor: {
          location: `s3://${lake.bucketName}/${ERASED_ROWS_PREFIX}/`,
          columns: ERASED_ROWS_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });
  }

  /** An Athena (Presto) view, stored in Glue the way Athena stores the views it creates. */
  private dedupeView(): glue.CfnTable {
    const sql = eventsDeduplicatedSql(
      (name) => `"${this.databaseName}"."${name}"`,
      EVENT_COLUMNS.map((c) => c.name),
      ATHENA_EVENT_TIME,
    );
    return this.view('EventsDeduplicated', EVENTS_DEDUPLICATED_VIEW, sql, [
      ...EVENT_COLUMNS,
      { name: 'event_time', type: 'timestamp' },
      { name: 'customer_id', type: 'string' },
      { name: 'received_dt', type: 'string' },
    ]);
  }

  /**
   * "Did all of yesterday arrive?": per customer and receive day, what the requests answered for good
   * acknowledged (one ledger line each) against what landed under the same request ids. `missing` and
   * `surplus` are summed per request, so a surplus in one request never hides a loss in another;
   * `missing` above 0 after Firehose's buffer interval means events to look for (errors/, or lost).
   * One rule, the SQL `npm run query` runs too. Query it with `WHERE customer_id = '<id>'`.
   */
  private completenessView(): glue.CfnTable {
    return this.view('Completeness', COMPLETENESS_VIEW, completenessSql(this.table), COMPLETENESS_COLUMNS);
  }

  /**
   * Completeness against the curated table (domain/contract/sql/lake-views-sql.ts): the messageIds the
   * acknowledged requests carried against the ones events_curated holds. events_curated is created by
   * the compaction job's first run; until then this view has nothing to read.
   */
  private curatedCompletenessView(): glue.CfnTable {
    return this.view(
      'CuratedCompleteness',
      CURATED_COMPLETENESS_VIEW,
      curatedCompletenessSql(this.table),
      CURATED_COMPLETENESS_COLUMNS,
    );
  }

  /**
   * Model monitoring (domain/contract/sql/lake-views-sql.ts): each scored person beside whether they
   * then converted. Reads the scores table (lib/intent-scoring.ts) and events_curated.
   */
  private intentOutcomesView(): glue.CfnTable {
    return this.view(
      'IntentOutcomes',
      INTENT_OUTCOMES_VIEW,
      intentOutcomesSql(this.table),
      INTENT_OUTCOMES_COLUMNS,
    );
  }

  /** A table of this database, as the views' SQL names it. */
  private readonly table = (name: string) => `"${this.databaseName}"."${name}"`;

  /**
   * The data-quality report (scripts/query.ts --quality; docs/data-quality.md) on AWS: per customer,
   * receive day and canonical event, how many were checked against a plan, unplanned, violating, and
   * how many spellings folded into the name; and the violations by property and rule.
   */
  private qualityViews(): glue.CfnTable[] {
    const db = `"${this.databaseName}"`;
    const bigint = (name: string) => ({ name, type: 'bigint' });
    const string = (name: string) => ({ name, type: 'string' });
    const dataQuality = this.view(
      'DataQuality',
      'data_quality',
      'SELECT customer_id, received_dt, event, count(*) AS events, count_if(planned IS NOT NULL) AS checked, ' +
        'count_if(planned = false) AS unplanned, count_if(cardinality(violations) > 0) AS violating, ' +
        `count(DISTINCT event_raw) AS spellings FROM ${db}."events" WHERE type = 'track' ` +
        'GROUP BY customer_id, received_dt, event',
      [
        string('customer_id'),
        string('received_dt'),
        string('event'),
        bigint('events'),
        bigint('checked'),
        bigint('unplanned'),
        bigint('violating'),
        bigint('spellings'),
      ],
    );
    const planViolations = this.view(
      'PlanViolations',
      'plan_violations',
      'SELECT customer_id, received_dt, event, v.path AS path, v.rule AS rule, count(*) AS violations ' +
        `FROM ${db}."events" CROSS JOIN UNNEST(violations) AS t(v) GROUP BY customer_id, received_dt, event, v.path, v.rule`,
      [
        string('customer_id'),
        string('received_dt'),
        string('event'),
        string('path'),
        string('rule'),
        bigint('violations'),
      ],
    );
    return [dataQuality, planViolations];
  }

  /** An Athena (Presto) view, stored in Glue the way Athena stores the views it creates. */
  /**
   * `identities` and `users`: the identity graph over the facts table the compaction keeps
   * (domain/contract/sql/identity-sql.ts), the same names and columns as locally. Query them with
   * `WHERE customer_id = '<id>'`.
   */
  private identityViews(): glue.CfnTable[] {
    const sql = athenaIdentityViews(this.databaseName);
    return [
      this.view('Identities', IDENTITIES_TABLE, sql.identities, IDENTITIES_COLUMNS),
      this.view('Users', USERS_TABLE, sql.users, USERS_COLUMNS),
    ];
  }

  private view(id: string, name: string, originalSql: string, columns: Column[]): glue.CfnTable {
    const presto = {
      originalSql,
      catalog: 'awsdatacatalog',
      schema: this.databaseName,
      columns: columns.map((c) => ({ name: c.name, type: prestoType(c.type) })),
    };
    return new glue.CfnTable(this, id, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name,
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(presto)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: { columns, serdeInfo: {} },
      },
    });
  }
}

const PRESTO_SCALARS: Record<string, string> = {
  int: 'integer',
  bigint: 'bigint',
  string: 'varchar',
  boolean: 'boolean',
  timestamp: 'timestamp(3)',
  double: 'double',
  date: 'date',
};

/**
 * A Hive type as Athena's view metadata writes it: `array<struct<path:string>>` → `array(row(path varchar))`.
 *
 * @example prestoType('struct<code:string,message:string>') // 'row(code varchar, message varchar)'
 *
 * @internal
 */
export function prestoType(hive: string): string {
  const array = /^array<(.+)>$/.exec(hive);
  if (array) return `array(${prestoType(array[1]!)})`;
  const struct = /^struct<(.+)>$/.exec(hive);
  if (struct) {
    const fields = struct[1]!.split(',').map((field) => {
      const [name, type] = field.split(':') as [string, string];
      return `${name} ${prestoType(type)}`;
    });
    return `row(${fields.join(', ')})`;
  }
  const scalar = PRESTO_SCALARS[hive];
  if (!scalar) throw new Error(`no Presto type for the Hive type ${hive}`);
  return scalar;
}

/** Athena's partition-projection placeholder for a key: `${name}`. */
function placeholder(name: string): string {
  return ['${', name, '}'].join('');
}
