import type * as glue from 'aws-cdk-lib/aws-glue';
import { CfnTable } from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Stack } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';

/** A column or partition key as the contract lists it (Glue's type names). */
interface Column {
  name: string;
  type: string;
}

export interface ParquetTableProps {
  databaseName: string;
  /** The table's name in the catalog, from the contract. */
  name: string;
  lake: s3.IBucket;
  /** Its folder in the lake (`scores`, `audiences`): `<area>/<name>=<value>/…/` holds each partition. */
  area: string;
  columns: readonly Column[];
  partitions: readonly Column[];
}

/**
 * Athena's partition projection for a key, by its type: a date from 2020 to tomorrow, a whole number
 * (an audience's version) from 1 to 100,000, and any string injected — every query names it.
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 */
function projectionOf(partition: Column): [string, string][] {
  const key = `projection.${partition.name}`;
  if (partition.type === 'date')
    return [
      [`${key}.type`, 'date'],
      [`${key}.format`, 'yyyy-MM-dd'],
      [`${key}.range`, '2020-01-01,NOW+1DAYS'],
    ];
  if (partition.type === 'int')
    return [
      [`${key}.type`, 'integer'],
      [`${key}.range`, '1,100000'],
    ];
  return [[`${key}.type`, 'injected']];
}

/**
 * A Parquet table over one area of the lake (the intent scores, the audiences), as DuckDB reads the same
 * files locally: partitions projected from the contract's keys, so no crawler and no partition to add.
 */
export function parquetTable(scope: Construct, id: string, props: ParquetTableProps): glue.CfnTable {
  const root = `s3://${props.lake.bucketName}/${props.area}/`;
  return new CfnTable(scope, id, {
    catalogId: Stack.of(scope).account,
    databaseName: props.databaseName,
    tableInput: {
      name: props.name,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        classification: 'parquet',
        'projection.enabled': 'true',
        ...Object.fromEntries(props.partitions.flatMap(projectionOf)),
        'storage.location.template': `${root}${props.partitions.map((p) => `${p.name}=\${${p.name}}`).join('/')}/`,
      },
      partitionKeys: props.partitions.map((p) => ({ name: p.name, type: p.type })),
      storageDescriptor: {
        location: root,
        columns: props.columns.map((c) => ({ name: c.name, type: c.type })),
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
    },
  });
}
