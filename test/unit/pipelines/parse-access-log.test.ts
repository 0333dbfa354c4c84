import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AccessLogEntry,
  parseAccessLog,
  parseLogTime,
} from '../../../functions/pipelines/web-access-logs/parse-access-log.js';
import { parseAccessLogTsv } from '../../../functions/pipelines/web-access-logs/parse-access-log-tsv.js';
import { projectRoot } from '../../../local/tools/state-dir.js';

// CI checks out ../shared beside the clone; so does the development machine.
const dataDir = join(projectRoot, '..', 'shared', 'data');
const readLines = (name: string): string[] => readFileSync(join(dataDir, name), 'utf8').split('\n');

function histogram(entries: readonly AccessLogEntry[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const e of entries) counts[e.status] = (counts[e.status] ?? 0) + 1;
  return counts;
}

describe('parseAccessLog', () => {
  it('parses a Common Log Format line, applying the zone offset', () => {
    // Prepare
    const line =
      'in24.inetnebr.com - - [01/Aug/1995:00:00:01 -0400] "GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt HTTP/1.0" 200 1839';

    // Act
    const result = parseAccessLog(line);

    // Assess
    expect(result).toEqual({
      ok: true,
      entry: {
        host: 'in24.inetnebr.com',
        timeMs: Date.UTC(1995, 7, 1, 4, 0, 1),
        request: 'GET /shuttle/missions/sts-68/news/sts-68-mcc-05.txt HTTP/1.0',
        method: 'GET',
        path: '/shuttle/missions/sts-68/news/sts-68-mcc-05.txt',
        protocol: 'HTTP/1.0',
        status: 200,
        bytes: 1839,
      },
    });
  });

  it('parses a Combined Log Format line with user, referer, user agent and escaped quotes', () => {
    // Prepare: the example of the Apache httpd documentation, with a \" in the user agent.
    const line =
      '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 ' +
      '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav) \\"quoted\\""';

    // Act
    const result = parseAccessLog(line);

    // Assess
    expect(result.ok && result.entry).toMatchObject({
      user: 'frank',
      timeMs: Date.UTC(2000, 9, 10, 20, 55, 36),
      status: 200,
      bytes: 2326,
      referer: 'http://www.example.com/start.html',
      userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav) "quoted"',
    });
  });

  it.each([
    [
      'no protocol (HTTP/0.9 style, as in the NASA logs)',
      '"GET /history/apollo/"',
      { method: 'GET', path: '/history/apollo/' },
    ],
    [
      'a space inside the path',
      '"GET /a b.html HTTP/1.0"',
      { method: 'GET', path: '/a b.html', protocol: 'HTTP/1.0' },
    ],
    ['an empty request', '""', {}],
    ['binary junk', '"\\x16\\x03\\x01"', {}],
    ['a dash', '"-"', {}],
  ])('keeps a request with %s, split only where it has the shape', (_what, request, split) => {
    // Prepare
    const line = `host.example - - [01/Jul/1995:00:00:12 -0400] ${request} 400 -`;

    // Act
    const result = parseAccessLog(line);

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.entry.request).toBe(request.slice(1, -1));
    expect({ method: result.entry.method, path: result.entry.path, protocol: result.entry.protocol }).toEqual(
      {
        method: undefined,
        path: undefined,
        protocol: undefined,
        ...split,
      },
    );
    expect(result.entry.bytes).toBe(0);
  });

  it.each([
    ['an empty line', '', /expected 'host ident user \[time\]/],
    ['a missing time', 'h - - "GET / HTTP/1.0" 200 1', /expected 'host ident user \[time\]/],
    [
      'a time without zone',
      'h - - [01/Aug/1995:00:00:01] "GET / HTTP/1.0" 200 1',
      /expected a time like .* found \[01\/Aug\/1995:00:00:01\]/,
    ],
    ['an impossible date', 'h - - [31/Feb/1995:00:00:01 -0400] "GET /" 200 1', /not a valid date and time/],
    ['an unknown month', 'h - - [01/Foo/1995:00:00:01 -0400] "GET /" 200 1', /unknown month "Foo"/],
    [
      'no byte count (truncated line)',
      'h - - [01/Aug/1995:00:00:01 -0400] "GET /" 200',
      /expected '"request" status bytes'.*found "\\"GET \/\\" 200"/,
    ],
    [
      'a status out of range',
      'h - - [01/Aug/1995:00:00:01 -0400] "GET /" 999 1',
      /expected an HTTP status 100-599, found 999/,
    ],
    [
      'an unquoted request',
      'h - - [01/Aug/1995:00:00:01 -0400] GET / 200 1',
      /expected '"request" status bytes'/,
    ],
  ])('rejects %s with a reason', (_what, line, reason) => {
    // Act
    const result = parseAccessLog(line);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('reads zone offsets east and west of UTC', () => {
    // Act
    const east = parseLogTime('01/Jan/2025:01:00:00 +0530');
    const west = parseLogTime('31/Dec/2024:14:30:00 -0500');

    // Assess
    expect(east).toEqual({ ok: true, ms: Date.UTC(2024, 11, 31, 19, 30) });
    expect(west).toEqual({ ok: true, ms: Date.UTC(2024, 11, 31, 19, 30) });
  });
});

describe('the real NASA Kennedy Space Center log (1995-08-01)', () => {
  it('parses every one of the 100 raw lines, with the status histogram and byte total computed by awk', () => {
    // Prepare
    const lines = readLines('nasa-access-aug95-100.log').filter((line) => line !== '');

    // Act
    const results = lines.map(parseAccessLog);

    // Assess: figures computed independently with
    //   awk '{print $(NF-1)}' nasa-access-aug95-100.log | sort | uniq -c   -> 83 200, 1 302, 16 304
    //   awk '{s+=$NF} END{print s}' nasa-access-aug95-100.log             -> 813978
    //   awk -F'"' '{print split($2,a," ")}' ... | uniq -c                 -> 100 requests of 3 parts
    const rejected = results.flatMap((r, i) => (r.ok ? [] : [`line ${i + 1}: ${r.reason}`]));
    expect(rejected).toEqual([]);
    const entries = results.flatMap((r) => (r.ok ? [r.entry] : []));
    expect(entries).toHaveLength(100);
    expect(histogram(entries)).toEqual({ 200: 83, 302: 1, 304: 16 });
    expect(entries.reduce((sum, e) => sum + e.bytes, 0)).toBe(813_978);
    expect(entries.every((e) => e.method === 'GET' && e.protocol === 'HTTP/1.0')).toBe(true);
    expect(entries[0]?.timeMs).toBe(807_249_601_000);
  });

  it('parses the 2,000 pre-parsed TSV rows and rejects the header with a reason', () => {
    // Prepare
    const [header = '', ...rows] = readLines('nasa-access-19950801-2000.tsv').filter((line) => line !== '');

    // Act
    const headerResult = parseAccessLogTsv(header);
    const results = rows.map(parseAccessLogTsv);

    // Assess: figures computed independently with
    //   awk -F'\t' 'NR>1{print $6}' nasa-access-19950801-2000.tsv | sort | uniq -c
    //     -> 1823 200, 27 302, 144 304, 1 403, 5 404
    //   awk -F'\t' 'NR>1{s+=$7} END{print s}'     -> 32744152 bytes
    //   awk -F'\t' 'NR>1 && $7=="0"' | wc -l       -> 158 rows with 0 bytes
    expect(headerResult).toEqual({
      ok: false,
      reason: expect.stringMatching(/expected epoch seconds in column 3, found "time"/),
    });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const entries = results.flatMap((r) => (r.ok ? [r.entry] : []));
    expect(entries).toHaveLength(2000);
    expect(histogram(entries)).toEqual({ 200: 1823, 302: 27, 304: 144, 403: 1, 404: 5 });
    expect(entries.reduce((sum, e) => sum + e.bytes, 0)).toBe(32_744_152);
    expect(entries.filter((e) => e.bytes === 0)).toHaveLength(158);
  });

  it('reads the same requests from the raw log and from the first 100 TSV rows', () => {
    // Prepare
    const raw = readLines('nasa-access-aug95-100.log')
      .filter((line) => line !== '')
      .map(parseAccessLog);
    const tsv = readLines('nasa-access-19950801-2000.tsv').slice(1, 101).map(parseAccessLogTsv);
    const essentials = (r: ReturnType<typeof parseAccessLog>) =>
      r.ok
        ? [r.entry.host, r.entry.timeMs, r.entry.method, r.entry.path, r.entry.status, r.entry.bytes]
        : r.reason;

    // Act
    const fromRaw = raw.map(essentials);
    const fromTsv = tsv.map(essentials);

    // Assess
    expect(fromRaw).toEqual(fromTsv);
  });
});
