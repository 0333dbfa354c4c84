import { describe, expect, it } from 'vitest';
import { generateAccessLogs, webFeed } from '../../../functions/pipelines/web-access-logs/generate.js';
import { siteSection, webAccessLogs } from '../../../functions/pipelines/web-access-logs/pipeline.js';
import { computeGroundTruth } from '../../../local/reconcile/ground-truth.js';

const line =
  'burger.letters.com - - [01/Jul/1995:00:00:12 -0400] "GET /shuttle/countdown/video/livevideo.gif HTTP/1.0" 200 0';

describe('the web-access-logs pipeline', () => {
  it('decodes a raw log line, keyed by site section and timed by the request time', () => {
    // Act
    const parsed = webAccessLogs.parse(line);

    // Assess
    expect(parsed).toMatchObject({ ok: true, key: '/shuttle', ts: Date.UTC(1995, 6, 1, 4, 0, 12) });
  });

  it('accepts an entry already parsed into JSON', () => {
    // Prepare
    const entry = {
      host: 'h',
      timeMs: 1_000,
      request: 'GET /x',
      method: 'GET',
      path: '/x',
      status: 404,
      bytes: 0,
    };

    // Act
    const parsed = webAccessLogs.parse(JSON.stringify(entry));

    // Assess
    expect(parsed).toMatchObject({ ok: true, key: '/', ts: 1_000, event: entry });
  });

  it.each([
    ['a line that is not a log line', 'GET / HTTP/1.0', /cannot decode .*expected 'host ident user \[time\]/],
    ['a JSON entry without status', '{"host":"h","timeMs":1,"request":"","bytes":0}', /schema[\s\S]*status/],
    ['broken JSON', '{"host":', /cannot decode/],
  ])('rejects %s with the reason', (_what, text, reason) => {
    // Act
    const parsed = webAccessLogs.parse(text);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it.each([
    ['/shuttle/missions/sts-70/mission-sts-70.html', '/shuttle'],
    ['/cgi-bin/imagemap/countdown70?285,291', '/cgi-bin'],
    ['/ksc.html', '/'],
    ['/', '/'],
    ['/images?x=/y', '/'],
    ['http://proxy.example/x', '(none)'],
    [undefined, '(none)'],
  ])('files %s under section %s', (path, section) => {
    expect(siteSection(path === undefined ? {} : { path })).toBe(section);
  });

  it('computes 4xx and 5xx rates as shares of the requests of a window', () => {
    // Prepare: three requests to /images in one minute, one 404 and one 503.
    const at = (second: number, status: number) =>
      `h - - [01/Aug/1995:00:00:${String(second).padStart(2, '0')} -0400] "GET /images/a.gif HTTP/1.0" ${status} 100`;
    const input = [at(1, 200), at(2, 404), at(3, 503)].map((text) => {
      const p = webAccessLogs.parse(text);
      if (!p.ok) throw new Error(p.reason);
      return { partition: 'p', key: p.key, ts: p.ts, value: p.event };
    });

    // Act
    const truth = computeGroundTruth(
      input,
      { window: webAccessLogs.window, aggregations: webAccessLogs.config.aggregations },
      { flush: true },
    );

    // Assess: a 1-minute hop puts the requests in five overlapping 5-minute windows.
    expect(truth.results).toHaveLength(5);
    expect(truth.results[0]?.values).toMatchObject({
      requests: 3,
      bytes: 300,
      status_4xx: 1,
      status_5xx: 1,
      clients: 1,
    });
    expect(truth.results[0]?.values.rate_4xx).toBeCloseTo(1 / 3);
    expect(truth.results[0]?.values.rate_5xx).toBeCloseTo(1 / 3);
  });
});

describe('generateAccessLogs', () => {
  const records = [
    ...generateAccessLogs({ seed: 3, count: 20_000, startMs: Date.UTC(2025, 4, 1, 12), ratePerSec: 10 }),
  ];
  const input = records.map((r) => {
    const p = webAccessLogs.parse(r.text, r.arrivalMs);
    if (!p.ok) throw new Error(p.reason);
    return { partition: 'shard-0', key: p.key, ts: p.ts, value: p.event, arrivalMs: r.arrivalMs };
  });

  it('writes Combined Log Format lines with realistic statuses', () => {
    // Act
    const statuses = new Set(records.map((r) => r.event.status));
    const combined = records.filter((r) => /" \d{3} (\d+|-) "[^"]*" "[^"]*"$/.test(r.text));

    // Assess
    expect(combined).toHaveLength(records.length);
    expect([...statuses].sort()).toEqual([200, 302, 304, 403, 404, 500]);
    expect(records.filter((r) => r.event.status === 200).length / records.length).toBeGreaterThan(0.7);
    expect(records.some((r) => r.event.protocol === undefined)).toBe(true);
  });

  it('ships lines in batches: a line arrives after its time, mostly within the slowest flush interval', () => {
    // Act
    const delays = input.map((r) => r.arrivalMs - r.ts);

    // Assess
    const slowest = Math.max(...webFeed.servers.map((s) => s.flushMs)) + webFeed.network.maxMs + 1000;
    expect(delays.every((d) => d >= 0)).toBe(true);
    expect(delays.filter((d) => d > slowest).length / delays.length).toBeLessThan(0.01);
  });

  it('has few late records with the 1-minute grace, some late for one window and on time for the next', () => {
    // Act
    const truth = computeGroundTruth(
      input,
      { window: webAccessLogs.window, aggregations: webAccessLogs.config.aggregations },
      { flush: true },
    );

    // Assess
    const lateRecords = new Set(truth.late.map((l) => input.findIndex((r) => r.value === l.value)));
    expect(lateRecords.size).toBeGreaterThan(0);
    expect(lateRecords.size / input.length).toBeLessThan(0.01);
    const counted = truth.results.reduce((sum, w) => sum + Number(w.values.requests), 0);
    // Every record belongs to 5 windows: each one is counted or reported late.
    expect(counted + truth.late.length).toBe(5 * input.length);
    const partlyLate = [...lateRecords].filter(
      (i) => truth.late.filter((l) => l.value === input[i]?.value).length < 5,
    );
    expect(partlyLate.length).toBeGreaterThan(0);
  });
});
