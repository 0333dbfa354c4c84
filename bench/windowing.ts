/**
 * Windowing engine throughput on synthetic taxi events given as JSON text, measured against a bare
 * `JSON.parse` loop over the same strings in the same run; state size per open window; heap while
 * streaming 10M events through windows that keep closing (it must stay flat).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import {
  avgAggregate,
  countAggregate,
  createWindowEngine,
  decodeState,
  type EngineState,
  encodeState,
  type KeyedRecord,
  maxAggregate,
  sumAggregate,
  type WindowEngine,
  type WindowSpec,
} from '../functions/core/index.js';
import { cpuTimed, median } from './measure.js';
import type { Benchmark, BenchRow } from './run.js';

interface TaxiEvent {
  vendor: number;
  pickup_ts: number;
  dropoff_ts: number;
  pickup_zone: string;
  dropoff_zone: string;
  passengers: number;
  distance: number;
  fare: number;
  total: number;
}

const KEYS = 10_000;
const START = Date.UTC(2026, 0, 1);
/** Arrival spacing: 100 events per second of event time. */
const STEP_MS = 10;
const MINUTE = 60_000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const zones = Array.from({ length: KEYS }, (_, i) => `Z${String(i).padStart(5, '0')}`);

/** The i-th event: arrivals in order, event times realistically late (most by seconds, 1% by minutes). */
function makeEvent(i: number, random: () => number): TaxiEvent {
  const r = random();
  const lateness = r < 0.9 ? random() * 10_000 : r < 0.99 ? random() * 2 * MINUTE : random() * 10 * MINUTE;
  const pickup = START + i * STEP_MS - Math.floor(lateness);
  const distance = Math.round(random() * 1500) / 100;
  const fare = Math.round((3 + distance * 2.5) * 100) / 100;
  return {
    vendor: 1 + Math.floor(random() * 2),
    pickup_ts: pickup,
    dropoff_ts: pickup + Math.floor(random() * 40 * MINUTE),
    pickup_zone: zones[Math.floor(random() * KEYS)] ?? 'Z00000',
    dropoff_zone: zones[Math.floor(random() * KEYS)] ?? 'Z00000',
    passengers: 1 + Math.floor(random() * 4),
    distance,
    fare,
    total: Math.round(fare * 1.2 * 100) / 100,
  };
}

const aggregations = {
  trips: countAggregate(),
  revenue: sumAggregate((e: TaxiEvent) => e.total),
  avg_distance: avgAggregate((e: TaxiEvent) => e.distance),
  max_fare: maxAggregate((e: TaxiEvent) => e.fare),
};

const BATCH = 1000;
/** Rounds of each loop per throughput benchmark. */
const ROUNDS = 5;
/** Chunks of the interleaved pass (20,000 events each at full scale). */
const INTERLEAVED_CHUNKS = 50;

function jsonTexts(count: number): string[] {
  const random = mulberry32(42);
  return Array.from({ length: count }, (_, i) => JSON.stringify(makeEvent(i, random)));
}

function parseOnly(texts: readonly string[], from = 0, to = texts.length): number {
  let sink = 0;
  for (let i = from; i < to; i++) sink += (JSON.parse(texts[i] as string) as TaxiEvent).fare;
  return sink;
}

/** An engine fed JSON texts a range at a time, in batches of BATCH, its state carried over. */
function engineFeed(window: WindowSpec) {
  const engine = createWindowEngine({ window, aggregations });
  let state: EngineState | undefined;
  let batch: KeyedRecord[] = [];
  const counts = { results: 0, late: 0 };
  const processBatch = (records: KeyedRecord[]) => {
    const out = engine.process(state, records);
    state = out.state;
    counts.results += out.results.length;
    counts.late += out.late.length;
  };
  return {
    feed(texts: readonly string[], from: number, to: number): void {
      for (let i = from; i < to; i++) {
        const event = JSON.parse(texts[i] as string) as TaxiEvent;
        batch.push({ key: event.pickup_zone, ts: event.pickup_ts, value: event });
        if (batch.length === BATCH) {
          processBatch(batch);
          batch = [];
        }
      }
    },
    /** Processes the last partial batch and closes every window. */
    finish(): { results: number; late: number } {
      processBatch(batch);
      batch = [];
      counts.results += engine.flush(state).results.length;
      return counts;
    },
  };
}

function runEngine(texts: readonly string[], window: WindowSpec): { results: number; late: number } {
  const feed = engineFeed(window);
  feed.feed(texts, 0, texts.length);
  return feed.finish();
}

/**
 * Σ parse / Σ (parse + engine) over the texts cut into chunks, the two loops taking turns chunk by
 * chunk (the first one alternating): each chunk of both runs within a second, so a slow spell of
 * the machine weighs on both sides alike, where whole rounds several seconds apart can differ.
 */
function interleavedRatio(texts: readonly string[], window: WindowSpec): { ratio: number; chunks: number } {
  const size = Math.max(1, Math.ceil(texts.length / INTERLEAVED_CHUNKS));
  const feed = engineFeed(window);
  let parseMs = 0;
  let engineMs = 0;
  let chunks = 0;
  for (let from = 0; from < texts.length; from += size, chunks++) {
    const to = Math.min(texts.length, from + size);
    const parse = () => cpuTimed(() => parseOnly(texts, from, to))[1];
    const engine = () => cpuTimed(() => feed.feed(texts, from, to))[1];
    if (chunks % 2 === 0) {
      parseMs += parse();
      engineMs += engine();
    } else {
      engineMs += engine();
      parseMs += parse();
    }
  }
  engineMs += cpuTimed(() => feed.finish())[1];
  return { ratio: parseMs / engineMs, chunks };
}

const windows: Record<string, WindowSpec> = {
  tumbling: { type: 'tumbling', sizeMs: 5 * MINUTE, graceMs: 2 * MINUTE },
  hopping: { type: 'hopping', sizeMs: 5 * MINUTE, advanceMs: MINUTE, graceMs: 2 * MINUTE },
  session: { type: 'session', gapMs: 5 * MINUTE, graceMs: 2 * MINUTE },
  sliding: { type: 'sliding', timeDifferenceMs: 5 * MINUTE, graceMs: 2 * MINUTE },
};

/** "5 rounds' own ratios: median 0.62, 0.34-0.91". */
function describeRounds(ratios: readonly number[]): string {
  return `${ratios.length} rounds' own ratios: median ${median(ratios).toFixed(2)}, ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
}

function throughput(name: string, window: WindowSpec): Benchmark {
  return {
    name: `windowing/${name}`,
    run(scale) {
      const count = Math.round(1_000_000 * scale);
      const texts = jsonTexts(count);
      let bestParse = Number.POSITIVE_INFINITY;
      let bestEngine = Number.POSITIVE_INFINITY;
      let counts = { results: 0, late: 0 };
      const roundRatios: number[] = [];
      // Whole rounds, the loops alternating, give the events/s rows (each loop's best round). On a
      // shared machine one loop can run at half speed for seconds, so the ratio comes from the
      // interleaved pass after them, and the rounds' own ratios are printed to show the spread.
      for (let round = 0; round < ROUNDS; round++) {
        const parseMs = cpuTimed(() => parseOnly(texts))[1];
        const [c, engineMs] = cpuTimed(() => runEngine(texts, window));
        counts = c;
        bestParse = Math.min(bestParse, parseMs);
        bestEngine = Math.min(bestEngine, engineMs);
        roundRatios.push(parseMs / engineMs);
      }
      const interleaved = interleavedRatio(texts, window);
      const rate = (ms: number) => Math.round((count / ms) * 1000);
      return [
        { metric: 'events', value: count, unit: 'events', note: `${KEYS} keys, ${JSON.stringify(window)}` },
        { metric: 'JSON.parse only', value: rate(bestParse), unit: 'events/s' },
        { metric: 'JSON.parse + engine', value: rate(bestEngine), unit: 'events/s' },
        {
          metric: 'ratio to JSON.parse',
          value: interleaved.ratio,
          unit: 'x',
          // Issue 3 sets the goal for tumbling, hopping and session windows only.
          note: `${name === 'sliding' ? 'no goal' : 'goal >= 0.7'}; sum parse / sum (parse + engine) over ${interleaved.chunks} chunks, the loops taking turns`,
        },
        {
          // The headline up to stop 11: each loop's best of ROUNDS whole rounds. Kept to compare
          // with earlier figures; it moves by up to ±0.1 between runs here, the interleaved one less.
          metric: 'ratio, best round / best round',
          value: bestParse / bestEngine,
          unit: 'x',
          note: describeRounds(roundRatios),
        },
        { metric: 'results', value: counts.results, unit: 'windows' },
        {
          // Hopping emits more results than it reads events (size / advance windows per record):
          // its cost per result, as well as per event.
          metric: 'results per second',
          value: (counts.results / bestEngine) * 1000,
          unit: 'results/s',
          note: 'in the best parse + engine round',
        },
        { metric: 'late', value: counts.late, unit: 'records', note: 'one per window missed' },
      ];
    },
  };
}

/** Open windows of time state: per window start not closed yet, the keys in its panes. */
function openTimeWindows(state: EngineState & { kind: 'time' }): number {
  const { window, panes, streamTime } = state;
  const size = window.type === 'hopping' || window.type === 'tumbling' ? window.sizeMs : 0;
  const advance = window.type === 'hopping' ? window.advanceMs : size;
  const closedThrough = (streamTime ?? 0) - size - window.graceMs;
  const starts = new Set<number>();
  for (const pane of panes) {
    for (let s = pane.start - (pane.start % advance); s > pane.start - size && s >= 0; s -= advance) {
      if (s > closedThrough) starts.add(s);
    }
  }
  let open = 0;
  for (const s of starts) {
    open += new Set(panes.filter((p) => p.start >= s && p.start < s + size).flatMap((p) => p.keys)).size;
  }
  return open;
}

/** Open windows of a state: sessions as a flush of a copy of the state emits them. */
function openWindows(state: EngineState, engine: WindowEngine): number {
  if (state.kind === 'time') return openTimeWindows(state);
  if (state.kind === 'session') return engine.flush(decodeState(encodeState(state, 'json'))).results.length;
  return Object.values(state.windows).reduce((n, l) => n + l.length, 0);
}

const stateSize: Benchmark = {
  name: 'windowing/state-size',
  run(scale) {
    const random = mulberry32(7);
    const events = Array.from({ length: Math.round(200_000 * scale) }, (_, i) => makeEvent(i, random));
    const rows: BenchRow[] = [];
    for (const [name, window] of Object.entries(windows)) {
      const engine = createWindowEngine({ window, aggregations });
      const { state } = engine.process(
        undefined,
        events.map((e) => ({ key: e.pickup_zone, ts: e.pickup_ts, value: e })),
      );
      const open = openWindows(state, engine);
      const json = encodeState(state, 'json').length;
      const gzip = gzipSync(encodeState(state, 'json')).length;
      rows.push({
        metric: `${name}: windows in state`,
        value: open,
        unit: 'windows',
        note:
          name === 'sliding'
            ? 'incl. closed ones kept for lookups (3 x timeDifference)'
            : `after ${events.length.toLocaleString('en-US')} events`,
      });
      rows.push({ metric: `${name}: state per window`, value: json / open, unit: 'bytes JSON' });
      rows.push({ metric: `${name}: state per window`, value: gzip / open, unit: 'bytes gzip' });
    }
    return rows;
  },
};

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') {
    gc();
    gc();
  }
}

const heap: Benchmark = {
  name: 'windowing/heap',
  run(scale) {
    const total = Math.round(10_000_000 * scale);
    const marks = [0.1, 0.5, 1].map((f) => Math.round(total * f));
    const engine = createWindowEngine({ window: windows.tumbling as WindowSpec, aggregations });
    const random = mulberry32(99);
    let state: EngineState | undefined;
    const rows: BenchRow[] = [];
    let batch: KeyedRecord[] = [];
    for (let i = 1; i <= total; i++) {
      const e = makeEvent(i, random);
      batch.push({ key: e.pickup_zone, ts: e.pickup_ts, value: e });
      if (batch.length === BATCH || i === total) {
        state = engine.process(state, batch).state;
        batch = [];
      }
      if (marks.includes(i)) {
        collectGarbage();
        const mb = process.memoryUsage().heapUsed / 2 ** 20;
        rows.push({
          metric: `heap after ${i.toLocaleString('en-US')} events`,
          value: mb,
          unit: 'MiB',
          note: `${openWindows(state as EngineState, engine)} open windows`,
        });
      }
    }
    return rows;
  },
};

/** Picked up by bench/run.ts. */
export const benchmarks: readonly Benchmark[] = [
  throughput('tumbling', windows.tumbling as WindowSpec),
  throughput('hopping', windows.hopping as WindowSpec),
  throughput('session', windows.session as WindowSpec),
  throughput('sliding', windows.sliding as WindowSpec),
  stateSize,
  heap,
];
