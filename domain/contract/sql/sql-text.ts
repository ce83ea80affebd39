/** A SQL string literal, in every dialect we write (DuckDB, Athena): quotes doubled. */
export const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A quoted SQL identifier. */
export const identifier = (name: string) => `"${name.replace(/"/g, '""')}"`;
