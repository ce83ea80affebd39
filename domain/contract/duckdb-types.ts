/**
 * The one map from the lake's types to DuckDB's: every table and view `npm run query` reads, the
 * landing areas (Glue types), the curated table, scores, audiences and erasure counts, types its
 * columns with it.
 */
/** DuckDB's type for a Glue (Hive) type: `array<struct<path:string>>` → `STRUCT("path" VARCHAR)[]`. */
export function duckdbType(glue: string): string {
  const array = /^array<(.+)>$/.exec(glue);
  if (array) return `${duckdbType(array[1]!)}[]`;
  const struct = /^struct<(.+)>$/.exec(glue);
  if (struct)
    return `STRUCT(${struct[1]!
      .split(',')
      .map((f) => {
        const [name, type] = f.split(':') as [string, string];
        return `"${name}" ${duckdbType(type)}`;
      })
      .join(', ')})`;
  return (
    {
      string: 'VARCHAR',
      int: 'INTEGER',
      bigint: 'BIGINT',
      double: 'DOUBLE',
      boolean: 'BOOLEAN',
      timestamp: 'TIMESTAMP',
      date: 'DATE',
    }[glue] ?? 'VARCHAR'
  );
}
