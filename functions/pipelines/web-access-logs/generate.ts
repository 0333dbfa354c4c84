import {
  checkGeneratorOptions,
  type GeneratedRecord,
  type GeneratorOptions,
  inArrivalOrder,
} from '../generator.js';
import { hash32, Random, WeightedPicker, zipfWeights } from '../random.js';
import type { AccessLogEntry } from './parse-access-log.js';

/** The simulated web farm and its log shipping, exported so tests can reason from the same numbers. */
export const webFeed = {
  /** Each server's shipper sends its batch every `flushMs` (phases differ). */
  servers: [
    { name: 'www1', flushMs: 5_000 },
    { name: 'www2', flushMs: 10_000 },
    { name: 'www3', flushMs: 30_000 },
  ],
  /** Network delay of a batch: median 200 ms, at most 3 s. */
  network: { medianMs: 200, sigma: 0.7, maxMs: 3_000 },
  /** Share of batches held back by a stalled shipper, and for how long. */
  stallShare: 0.005,
  stallDelayMs: { min: 2 * 60_000, max: 15 * 60_000 },
} as const;

// A NASA-like site: pages, their images, a CGI script. Zipf popularity in this order.
const RESOURCES: ReadonlyArray<readonly [path: string, size: number]> = [
  ['/images/NASA-logosmall.gif', 786],
  ['/images/KSC-logosmall.gif', 1204],
  ['/images/MOSAIC-logosmall.gif', 363],
  ['/images/USA-logosmall.gif', 234],
  ['/images/WORLD-logosmall.gif', 669],
  ['/images/ksclogo-medium.gif', 5866],
  ['/ksc.html', 7280],
  ['/', 7280],
  ['/shuttle/countdown/', 3985],
  ['/shuttle/countdown/count.gif', 40310],
  ['/images/launch-logo.gif', 1713],
  ['/shuttle/missions/sts-70/mission-sts-70.html', 20304],
  ['/shuttle/missions/sts-70/sts-70-patch-small.gif', 5026],
  ['/history/apollo/apollo.html', 3047],
  ['/history/apollo/images/apollo-logo1.gif', 1173],
  ['/shuttle/missions/missions.html', 8677],
  ['/images/launchmedium.gif', 11853],
  ['/cgi-bin/imagemap/countdown', 110],
  ['/facilities/lc39a.html', 7008],
  ['/history/history.html', 1602],
  ['/software/winvn/winvn.html', 9867],
  ['/elv/elvpage.htm', 7890],
  ['/shuttle/technology/sts-newsref/stsref-toc.html', 84907],
];

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'curl/8.5.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** Formats epoch ms as a log time in the -0400 zone the NASA logs use: `01/Aug/1995:00:00:01 -0400`. */
export function formatLogTime(ms: number): string {
  const d = new Date(ms - 4 * 3_600_000);
  const date = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}`;
  return `${date}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} -0400`;
}

/** Writes an entry as a Combined Log Format line (Common when it has no referer and user agent). */
export function formatAccessLog(entry: AccessLogEntry): string {
  const quoted = (text: string | undefined): string => `"${(text ?? '-').replace(/["\\]/g, '\\$&')}"`;
  const common =
    `${entry.host} ${entry.ident ?? '-'} ${entry.user ?? '-'} [${formatLogTime(entry.timeMs)}] ` +
    `"${entry.request}" ${entry.status} ${entry.bytes === 0 ? '-' : entry.bytes}`;
  if (entry.referer === undefined && entry.userAgent === undefined) return common;
  return `${common} ${quoted(entry.referer)} ${quoted(entry.userAgent)}`;
}

function clientHost(random: Random, rank: number): string {
  if (rank % 3 === 0)
    return `${(rank * 37) % 223}.${(rank * 11) % 256}.${(rank * 7) % 256}.${1 + (rank % 254)}`;
  return `${random.pick(['ppp', 'dialup', 'pm2', 'slip'])}${rank}.${random.pick(['aol.com', 'compuserve.com', 'netcom.com', 'ac.uk', 'prodigy.com'])}`;
}

function makeEntry(
  random: Random,
  host: string,
  timeMs: number,
  resource: readonly [string, number],
): AccessLogEntry {
  const [path, size] = resource;
  const image = path.endsWith('.gif');
  const roll = random.next();
  // 304 for cached images, a few missing pages, rare server errors, redirects from the CGI script.
  let status = 200;
  if (path.startsWith('/cgi-bin/')) status = roll < 0.9 ? 302 : 500;
  else if (roll < 0.003) status = 500;
  else if (roll < 0.013) status = 404;
  else if (roll < 0.015) status = 403;
  else if (image && roll < 0.2) status = 304;
  const bytes = status === 200 || status === 302 ? size : 0;
  const missing = status === 404 ? `${path.replace(/\.\w+$/, '')}-old.html` : path;
  // About one request in 300 is sent without a protocol (HTTP/0.9 style), as in the NASA logs.
  const protocol = random.chance(0.003) ? '' : ' HTTP/1.0';
  return {
    host,
    timeMs,
    request: `GET ${missing}${protocol}`,
    method: 'GET',
    path: missing,
    ...(protocol === '' ? {} : { protocol: 'HTTP/1.0' }),
    status,
    bytes,
    ...(random.chance(0.6) ? { referer: 'https://www.nasa.gov/' } : {}),
    userAgent: random.pick(USER_AGENTS),
  };
}

/**
 * Seeded access log lines from three web servers in arrival order. Requests form a Poisson
 * process of `ratePerSec` from `startMs`; each server ships its lines in batches (every 5, 10 or
 * 30 s, plus network delay), so the merged stream is out of order by up to ~30 s, and a stalled
 * shipper (0.5% of batches) delivers 2 to 15 minutes late.
 */
export function* generateAccessLogs(options: GeneratorOptions): Generator<GeneratedRecord<AccessLogEntry>> {
  checkGeneratorOptions(options);
  const random = new Random(options.seed);
  const resources = new WeightedPicker(RESOURCES, zipfWeights(RESOURCES.length, 1));
  const clientCount = Math.max(10, Math.min(5_000, Math.round(options.count / 20)));
  const clients = new WeightedPicker(
    Array.from({ length: clientCount }, (_, rank) => clientHost(random, rank + 1)),
    zipfWeights(clientCount, 0.8),
  );
  const meanGapMs = 1000 / options.ratePerSec;
  let clock = options.startMs;
  yield* inArrivalOrder<AccessLogEntry>(options.count, (push) => {
    clock += random.exponential(meanGapMs);
    // Log times have whole seconds.
    const timeMs = Math.floor(clock / 1000) * 1000;
    const entry = makeEntry(random, clients.pick(random), timeMs, resources.pick(random));
    const serverIndex = random.int(0, webFeed.servers.length - 1);
    push({
      event: entry,
      arrivalMs: shippedAt(options.seed, serverIndex, clock),
      get text() {
        return formatAccessLog(entry);
      },
    });
    return Math.floor(clock);
  });
}

/** When the batch holding a line written at `writtenMs` on server `index` reaches the stream. */
function shippedAt(seed: number, index: number, writtenMs: number): number {
  const server = webFeed.servers[index] ?? { flushMs: 5_000 };
  const phase = hash32(seed, index) % server.flushMs;
  const batch = Math.floor((writtenMs - phase) / server.flushMs) + 1;
  const flushAt = batch * server.flushMs + phase;
  // Per-batch randomness from a hash, so every line of a batch shares its delay.
  const batchRandom = new Random(hash32(seed, index, batch));
  const { medianMs, sigma, maxMs } = webFeed.network;
  let delay = Math.min(maxMs, batchRandom.logNormal(medianMs, sigma));
  if (batchRandom.chance(webFeed.stallShare)) {
    const { min, max } = webFeed.stallDelayMs;
    delay += min + batchRandom.next() * (max - min);
  }
  return Math.round(flushAt + delay);
}
