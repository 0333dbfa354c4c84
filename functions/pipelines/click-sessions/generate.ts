import {
  checkGeneratorOptions,
  type GeneratedRecord,
  type GeneratorOptions,
  inArrivalOrder,
} from '../generator.js';
import { hash32, Random, WeightedPicker, zipfWeights } from '../random.js';
import type { PageView } from './schema.js';

const MINUTE = 60_000;

/** The simulated site and its clients, exported so tests can reason from the same numbers. */
export const clickFeed = {
  /** Views per session: 1 + geometric, mean about 6. */
  meanViewsPerSession: 6,
  /** Time on a page before the next view: median 40 s; the few over 30 minutes split a session. */
  dwell: { medianMs: 40_000, sigma: 1.1, maxMs: 45 * MINUTE },
  /** Mobile SDKs flush their queue every 30 s. */
  mobileFlushMs: 30_000,
  /** Share of mobile views queued offline and sent 1-30 minutes later (kept: within gap + grace). */
  offlineShare: 0.02,
  offlineDelayMs: { min: MINUTE, max: 30 * MINUTE },
  /** Share of mobile views sent 2-6 hours later (a phone offline for hours: late by design). */
  veryLateShare: 0.003,
  veryLateDelayMs: { min: 120 * MINUTE, max: 360 * MINUTE },
} as const;

const PAGES = [
  '/',
  '/products',
  '/search',
  '/cart',
  '/products/espresso-machine',
  '/products/grinder',
  '/products/kettle',
  '/blog',
  '/blog/brewing-guide',
  '/account',
  '/checkout',
  '/checkout/confirm',
  '/help',
  '/about',
  '/products/filters',
  '/products/mugs',
];
const REFERRERS = ['https://www.google.com/', 'https://duckduckgo.com/', 'https://news.ycombinator.com/'];
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;

function deviceOf(seed: number, user: number): PageView['device'] {
  const roll = hash32(seed, user, 7) % 100;
  return DEVICES[roll < 45 ? 0 : roll < 92 ? 1 : 2] ?? 'desktop';
}

function deliveryDelay(random: Random, device: PageView['device']): number {
  const network = Math.min(5_000, random.logNormal(150, 0.8));
  if (device === 'desktop') return network;
  const f = clickFeed;
  const roll = random.next();
  if (roll < f.veryLateShare)
    return f.veryLateDelayMs.min + random.next() * (f.veryLateDelayMs.max - f.veryLateDelayMs.min);
  if (roll < f.veryLateShare + f.offlineShare) {
    return f.offlineDelayMs.min + random.next() * (f.offlineDelayMs.max - f.offlineDelayMs.min);
  }
  return random.next() * f.mobileFlushMs + network;
}

/**
 * Seeded page views in arrival order. Sessions start as a Poisson process (so views arrive at
 * about `ratePerSec`); each picks a user (Zipf: regulars come back, and sometimes within 30
 * minutes, which merges sessions), a landing page, a number of views and dwell times. Desktop
 * views arrive within seconds; mobile ones in 30-second SDK batches, some offline for minutes or
 * hours.
 */
export function* generateClickSessions(options: GeneratorOptions): Generator<GeneratedRecord<PageView>> {
  checkGeneratorOptions(options);
  const random = new Random(options.seed);
  // About as many users as sessions, lightly skewed: most visit once, regulars come back.
  const userCount = Math.max(20, Math.round(options.count / 4));
  const users = new WeightedPicker(
    Array.from({ length: userCount }, (_, i) => i + 1),
    zipfWeights(userCount, 0.3),
  );
  const landing = new WeightedPicker(PAGES, zipfWeights(PAGES.length, 1.2));
  const next = new WeightedPicker(PAGES, zipfWeights(PAGES.length, 0.6));
  const meanStartGapMs = (1000 * clickFeed.meanViewsPerSession) / options.ratePerSec;
  let clock = options.startMs;
  yield* inArrivalOrder<PageView>(options.count, (push) => {
    clock += random.exponential(meanStartGapMs);
    const user = users.pick(random);
    const device = deviceOf(options.seed, user);
    let at = Math.floor(clock);
    let page = landing.pick(random);
    const referrer = random.chance(0.4) ? random.pick(REFERRERS) : undefined;
    let views = 1;
    for (;;) {
      const view: PageView = {
        type: 'page_view',
        userId: `u-${String(user).padStart(6, '0')}`,
        page,
        ...(views === 1 && referrer !== undefined ? { referrer } : {}),
        device,
        timestamp: new Date(at).toISOString(),
      };
      const arrivalMs = Math.round(at + deliveryDelay(random, device));
      push({
        event: view,
        arrivalMs,
        get text() {
          return JSON.stringify(view);
        },
      });
      // Geometric number of views: stop with probability 1/mean after each one.
      if (random.chance(1 / clickFeed.meanViewsPerSession)) break;
      views += 1;
      at += Math.round(
        Math.min(clickFeed.dwell.maxMs, random.logNormal(clickFeed.dwell.medianMs, clickFeed.dwell.sigma)),
      );
      page = next.pick(random);
    }
    return Math.floor(clock);
  });
}
