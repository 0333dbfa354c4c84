import { describe, expect, it } from 'vitest';
import { clickFeed, generateClickSessions } from '../../../functions/pipelines/click-sessions/generate.js';
import { clickSessions } from '../../../functions/pipelines/click-sessions/pipeline.js';
import { sessionDuration } from '../../../functions/pipelines/click-sessions/session-duration.js';
import { computeGroundTruth } from '../../../local/reconcile/ground-truth.js';

const view = {
  type: 'page_view',
  userId: 'u-000042',
  page: '/products/grinder',
  device: 'mobile',
  timestamp: '2026-11-23T10:15:00.000Z',
};

describe('the click-sessions pipeline', () => {
  it('keys a page view by user and times it by the device timestamp', () => {
    expect(clickSessions.parse(JSON.stringify(view))).toMatchObject({
      ok: true,
      key: 'u-000042',
      ts: Date.UTC(2026, 10, 23, 10, 15),
    });
  });

  it.each([
    ['a page that is not a path', { page: 'products' }, /expected a path starting with "\/"[\s\S]*at page/],
    ['an unknown device', { device: 'watch' }, /device/],
    ['a time without zone', { timestamp: '2026-11-23T10:15:00' }, /ISO 8601 date-time with a zone/],
    ['an empty user', { userId: '' }, /userId/],
    ['another event type', { type: 'track' }, /type/],
  ])('rejects %s with the reason', (_what, change, reason) => {
    // Act
    const parsed = clickSessions.parse(JSON.stringify({ ...view, ...change }));

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('measures a session from its first to its last view, also across merged parts', () => {
    // Prepare
    const duration = sessionDuration<unknown>();
    const left = duration.add(duration.add(duration.init(), null, 1_000), null, 4_000);
    const right = duration.add(duration.init(), null, 9_000);

    // Act
    const merged = duration.merge(left, right);
    const roundTrip = JSON.parse(JSON.stringify(merged));

    // Assess
    expect(duration.result(duration.init())).toBe(0);
    expect(duration.result(left)).toBe(3_000);
    expect(duration.result(roundTrip)).toBe(8_000);
  });

  it('closes a session after 30 quiet minutes, with views, distinct pages, landing and exit page', () => {
    // Prepare: three views 10 minutes apart, then one 31 minutes after the last.
    const at = (minute: number, page: string) => {
      const p = clickSessions.parse(
        JSON.stringify({
          ...view,
          page,
          timestamp: new Date(Date.UTC(2026, 10, 23, 10, minute)).toISOString(),
        }),
      );
      if (!p.ok) throw new Error(p.reason);
      return { partition: 'p', key: p.key, ts: p.ts, value: p.event };
    };
    const input = [at(0, '/'), at(10, '/products'), at(20, '/'), at(51, '/help')];

    // Act
    const truth = computeGroundTruth(
      input,
      { window: clickSessions.window, aggregations: clickSessions.config.aggregations },
      { flush: true },
    );

    // Assess
    expect(truth.results.map((r) => r.values)).toEqual([
      { page_views: 3, distinct_pages: 2, landing_page: '/', exit_page: '/', duration_ms: 20 * 60_000 },
      { page_views: 1, distinct_pages: 1, landing_page: '/help', exit_page: '/help', duration_ms: 0 },
    ]);
  });
});

describe('generateClickSessions', () => {
  const records = [
    ...generateClickSessions({ seed: 5, count: 20_000, startMs: Date.UTC(2025, 4, 1, 12), ratePerSec: 5 }),
  ];
  const input = records.map((r) => {
    const p = clickSessions.parse(r.text, r.arrivalMs);
    if (!p.ok) throw new Error(p.reason);
    return { partition: 'shard-0', key: p.key, ts: p.ts, value: p.event, arrivalMs: r.arrivalMs };
  });

  it('produces sessions of several views, from desktop and mobile users', () => {
    // Act
    const truth = computeGroundTruth(
      input,
      { window: clickSessions.window, aggregations: clickSessions.config.aggregations },
      { flush: true },
    );
    const views = truth.results.map((r) => Number(r.values.page_views));

    // Assess
    const mean = views.reduce((a, b) => a + b, 0) / views.length;
    expect(mean).toBeGreaterThan(clickFeed.meanViewsPerSession * 0.8);
    expect(mean).toBeLessThan(clickFeed.meanViewsPerSession * 2);
    expect(new Set(records.map((r) => r.event.device))).toEqual(new Set(['desktop', 'mobile', 'tablet']));
  });

  it('delays some mobile views by minutes (kept) and a few by hours (late)', () => {
    // Act
    const truth = computeGroundTruth(
      input,
      { window: clickSessions.window, aggregations: clickSessions.config.aggregations },
      { flush: true },
    );
    const minutesLate = input.filter((r) => r.arrivalMs - r.ts > 60_000 && r.arrivalMs - r.ts < 30 * 60_000);

    // Assess
    expect(minutesLate.length).toBeGreaterThan(0);
    expect(minutesLate.every((r) => r.value.device !== 'desktop')).toBe(true);
    expect(truth.late.length).toBeGreaterThan(0);
    expect(truth.late.length / input.length).toBeLessThan(0.01);
    // A late view was delayed by hours, never by the 1-30 minutes a 40-minute gap + grace absorbs.
    expect(
      truth.late.every((l) => (input.find((r) => r.value === l.value)?.arrivalMs ?? 0) - l.ts > 40 * 60_000),
    ).toBe(true);
  });
});
