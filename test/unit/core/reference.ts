import type { KeyedRecord } from '../../../functions/core/index.js';

/** `key start end count sum`, sorted: what a window engine should end up with, by brute force. */
export type Expected = string[];

const line = (key: string, start: number, end: number, inWindow: readonly KeyedRecord[]) =>
  `${key} ${start} ${end} n=${inWindow.length} sum=${inWindow.reduce((s, r) => s + Number(r.value), 0)}`;

function byKey(records: readonly KeyedRecord[]): Map<string, KeyedRecord[]> {
  const keys = new Map<string, KeyedRecord[]>();
  for (const r of records) keys.set(r.key, [...(keys.get(r.key) ?? []), r]);
  return keys;
}

/** Every non-empty aligned window [start, start + size) of every key. */
export function expectedHopping(records: readonly KeyedRecord[], size: number, advance: number): Expected {
  const out: string[] = [];
  for (const [key, list] of byKey(records)) {
    const starts = new Set<number>();
    for (const r of list) {
      for (let s = r.ts - (r.ts % advance); s > r.ts - size && s >= 0; s -= advance) starts.add(s);
    }
    for (const s of starts)
      out.push(
        line(
          key,
          s,
          s + size,
          list.filter((r) => r.ts >= s && r.ts < s + size),
        ),
      );
  }
  return out.sort();
}

/** Sessions: records of a key sorted by time, split where two are more than `gap` apart. */
export function expectedSessions(records: readonly KeyedRecord[], gap: number): Expected {
  const out: string[] = [];
  for (const [key, list] of byKey(records)) {
    const sorted = [...list].sort((a, b) => a.ts - b.ts);
    let current: KeyedRecord[] = [];
    for (const r of sorted) {
      const last = current[current.length - 1];
      if (last !== undefined && r.ts - last.ts > gap) {
        out.push(line(key, current[0]?.ts ?? 0, last.ts, current));
        current = [];
      }
      current.push(r);
    }
    const last = current[current.length - 1];
    if (last !== undefined) out.push(line(key, current[0]?.ts ?? 0, last.ts, current));
  }
  return out.sort();
}

/**
 * Kafka Streams' sliding windows by definition: each record's left window [ts - d, ts] (records
 * before d share [0, d]) and each record's right window [ts + 1, ts + 1 + d] when it holds a record.
 */
export function expectedSliding(records: readonly KeyedRecord[], d: number): Expected {
  const out: string[] = [];
  for (const [key, list] of byKey(records)) {
    const starts = new Set<number>();
    for (const r of list) {
      starts.add(Math.max(0, r.ts - d));
      if (list.some((o) => o.ts > r.ts && o.ts <= r.ts + 1 + d)) starts.add(r.ts + 1);
    }
    for (const s of starts)
      out.push(
        line(
          key,
          s,
          s + d,
          list.filter((r) => r.ts >= s && r.ts <= s + d),
        ),
      );
  }
  return out.sort();
}
