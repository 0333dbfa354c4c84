import { formatComparison } from '../../reconcile/compare-results.js';
import { table } from '../../tools/text-table.js';
import type { Reconciliation, WarehouseWindow } from './reconcile.js';

/** The `limit` windows with the largest first numeric column (e.g. trips), then by start. */
export function topWindows(windows: readonly WarehouseWindow[], limit = 10): string {
  if (windows.length === 0) return '(no windows in the warehouse)';
  const columns = Object.keys(windows[0]?.values ?? {});
  const rank = columns.find((c) =>
    windows.every((w) => typeof w.values[c] === 'number' || w.values[c] === null),
  );
  const sorted = [...windows].sort(
    (a, b) =>
      (rank ? Number(b.values[rank] ?? 0) - Number(a.values[rank] ?? 0) : 0) || a.windowStart - b.windowStart,
  );
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return table(
    ['key', 'window start', 'end', ...columns],
    sorted
      .slice(0, limit)
      .map((w) => [
        w.key,
        iso(w.windowStart),
        iso(w.windowEnd).slice(11),
        ...columns.map((c) => w.values[c] ?? null),
      ]),
  );
}

/** Reasons for refused input lines the summary shows. */
const MAX_REASONS = 5;

/** The reconciliation block of the summary. */
export function reconciliationText(r: Reconciliation): string {
  const lines = [
    `Reconciliation: ${r.ok ? 'MATCH' : 'MISMATCH'}`,
    `  windows: ${r.comparison.matched} matched of ${r.comparison.matched + r.comparison.missing.length + r.comparison.differing.length} expected` +
      ` (${r.aggregateLines} aggregate lines read, ${r.duplicateIds} duplicates dropped by result id)`,
    `  late records: ${r.late} in late/, ${r.expectedLate} expected (${r.duplicateLate} duplicates)`,
    `  input lines the pipeline refuses: ${r.invalidInput}`,
    // The first reasons (the dead-letter queue has every record, with its reason).
    ...r.invalidReasons.slice(0, MAX_REASONS).map((line) => `  ${line}`),
    ...(r.invalidReasons.length > MAX_REASONS
      ? [`    ... and ${r.invalidReasons.length - MAX_REASONS} more reasons`]
      : []),
  ];
  const u = r.unchecked;
  if (u.records > 0) {
    lines.push(
      `  not checked: ${count(u.windows, 'window')} and ${count(u.late, 'late line')} around ${count(u.records, 'record')} ` +
        'later than the grace while some of their sliding windows were open (Kafka Streams applies such a record to some of them only)',
    );
  }
  if (!r.comparison.ok) lines.push(formatComparison(r.comparison).replace(/^/gm, '  '));
  for (const p of r.problems) lines.push(`  ${p}`);
  return lines.join('\n');
}

/** `1 window`, `2 windows`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
