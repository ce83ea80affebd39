/**
 * An aligned text table, the one shape every command prints (`tokens list`, the bench's ratios): a
 * header row, columns two spaces apart, numbers right-aligned so their digits line up.
 */
export function alignedTable(
  rows: readonly (readonly string[])[],
  options: { right?: number[] } = {},
): string {
  const right = new Set(options.right ?? []);
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      widths
        .map((w, i) => (right.has(i) ? (r[i] ?? '').padStart(w) : (r[i] ?? '').padEnd(w)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
