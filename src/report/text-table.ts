/** Plain-text tables for the terminal: columns padded to their widest cell,
 * a dashed rule under the header, no trailing spaces. */
export function textTable(rows: readonly (readonly string[])[]): string[] {
  const header = rows[0];
  if (!header) return [];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines;
}
