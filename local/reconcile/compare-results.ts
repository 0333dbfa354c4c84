/** A window result to compare: the engine's, the warehouse's or the reference model's. */
export interface ComparableWindow {
  /** Compared only when `matchPartition` is set. */
  readonly partition?: string;
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly values: Readonly<Record<string, unknown>> | null;
}

export interface CompareOptions {
  /** Numbers within `absolute + relative * max(|a|, |b|)` are equal (sums of money, averages). */
  readonly tolerance?: { readonly absolute?: number; readonly relative?: number };
  /** Include the partition in a window's identity (both sides must carry the same names). @default false */
  readonly matchPartition?: boolean;
}

/** One column that differs. */
export interface ColumnDiff {
  readonly column: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** The comparison of expected and actual results. */
export interface Comparison<W extends ComparableWindow = ComparableWindow> {
  /** True when nothing is missing, extra, different or duplicated. */
  readonly ok: boolean;
  readonly matched: number;
  readonly missing: W[];
  readonly extra: W[];
  readonly differing: Array<{ readonly expected: W; readonly actual: W; readonly columns: ColumnDiff[] }>;
  /** Windows present more than once in `actual` (a re-emission that was not deduplicated). */
  readonly duplicates: W[];
}

const DEFAULT_TOLERANCE = { absolute: 1e-6, relative: 1e-9 };

function identity(w: ComparableWindow, matchPartition: boolean): string {
  return JSON.stringify([matchPartition ? (w.partition ?? null) : null, w.key, w.windowStart, w.windowEnd]);
}

function sameValue(a: unknown, b: unknown, absolute: number, relative: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return Math.abs(a - b) <= absolute + relative * Math.max(Math.abs(a), Math.abs(b));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Compares two sets of window results (order does not matter); see {@link formatComparison}. */
export function compareResults<W extends ComparableWindow>(
  expected: readonly W[],
  actual: readonly W[],
  options: CompareOptions = {},
): Comparison<W> {
  const absolute = options.tolerance?.absolute ?? DEFAULT_TOLERANCE.absolute;
  const relative = options.tolerance?.relative ?? DEFAULT_TOLERANCE.relative;
  const matchPartition = options.matchPartition ?? false;
  const actualById = new Map<string, W>();
  const duplicates: W[] = [];
  for (const w of actual) {
    const id = identity(w, matchPartition);
    if (actualById.has(id)) duplicates.push(w);
    else actualById.set(id, w);
  }
  const missing: W[] = [];
  const differing: Comparison<W>['differing'] = [];
  let matched = 0;
  const seen = new Set<string>();
  for (const e of expected) {
    const id = identity(e, matchPartition);
    seen.add(id);
    const a = actualById.get(id);
    if (a === undefined) {
      missing.push(e);
      continue;
    }
    const columns: ColumnDiff[] = [];
    const names = new Set([...Object.keys(e.values ?? {}), ...Object.keys(a.values ?? {})]);
    for (const column of names) {
      const ev = e.values?.[column];
      const av = a.values?.[column];
      if (!sameValue(ev, av, absolute, relative)) columns.push({ column, expected: ev, actual: av });
    }
    if (e.values === null || a.values === null) {
      if (e.values !== a.values) columns.push({ column: '(values)', expected: e.values, actual: a.values });
    }
    if (columns.length > 0) differing.push({ expected: e, actual: a, columns });
    else matched += 1;
  }
  const extra = [...actualById].filter(([id]) => !seen.has(id)).map(([, w]) => w);
  const ok = missing.length === 0 && extra.length === 0 && differing.length === 0 && duplicates.length === 0;
  return { ok, matched, missing, extra, differing, duplicates };
}

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

function describe(w: ComparableWindow): string {
  const partition = w.partition === undefined ? '' : ` partition=${w.partition}`;
  return `key=${JSON.stringify(w.key)}${partition} [${iso(w.windowStart)}, ${iso(w.windowEnd)}]`;
}

/** A readable report: counts, then up to `limit` lines per kind of difference. */
export function formatComparison(comparison: Comparison, limit = 20): string {
  const { matched, missing, extra, differing, duplicates } = comparison;
  const lines = [
    `${matched} matched, ${missing.length} missing, ${extra.length} extra, ${differing.length} differing, ${duplicates.length} duplicated`,
  ];
  const section = <T>(title: string, items: readonly T[], line: (item: T) => string): void => {
    if (items.length === 0) return;
    lines.push(`${title}:`);
    for (const item of items.slice(0, limit)) lines.push(`  ${line(item)}`);
    if (items.length > limit) lines.push(`  ... and ${items.length - limit} more`);
  };
  section('missing (expected, not found)', missing, (w) => `${describe(w)} ${JSON.stringify(w.values)}`);
  section('extra (found, not expected)', extra, (w) => `${describe(w)} ${JSON.stringify(w.values)}`);
  section('differing', differing, ({ expected, columns }) => {
    const diffs = columns.map(
      (c) => `${c.column}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(c.actual)}`,
    );
    return `${describe(expected)} ${diffs.join('; ')}`;
  });
  section('duplicated', duplicates, (w) => describe(w));
  return lines.join('\n');
}
