/**
 * A plain text table: columns padded to their widest cell, two spaces apart, numbers (and the
 * columns listed in `rightAligned`) right-aligned.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: { readonly rightAligned?: readonly number[] } = {},
): string {
  const cells = [header, ...rows].map((r) =>
    r.map((c) => (typeof c === 'number' ? formatNumber(c) : String(c ?? ''))),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const right = header.map(
    (_, i) =>
      options.rightAligned?.includes(i) || (rows.length > 0 && rows.every((r) => typeof r[i] === 'number')),
  );
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
