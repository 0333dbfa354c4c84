import { describe, expect, it } from 'vitest';
import { generateTaxiTrips, taxiFeed } from '../../../functions/pipelines/taxi-rides/generate.js';
import { taxiRides } from '../../../functions/pipelines/taxi-rides/pipeline.js';
import { computeGroundTruth, type ReferenceRecord } from '../../../local/reconcile/ground-truth.js';

// A real record of the January 2025 file, written as the producer sends it (zone added, see schema.ts).
const trip = {
  VendorID: 1,
  tpep_pickup_datetime: '2025-01-01T05:18:38Z',
  tpep_dropoff_datetime: '2025-01-01T05:26:59Z',
  passenger_count: 1,
  trip_distance: 1.6,
  RatecodeID: 1,
  store_and_fwd_flag: 'N',
  PULocationID: 229,
  DOLocationID: 237,
  payment_type: 1,
  fare_amount: 10,
  extra: 3.5,
  mta_tax: 0.5,
  tip_amount: 3,
  tolls_amount: 0,
  improvement_surcharge: 1,
  total_amount: 18,
  congestion_surcharge: 2.5,
  Airport_fee: 0,
  cbd_congestion_fee: 0,
};

describe('the taxi-rides pipeline', () => {
  it('keys a trip by pickup zone and times it by pickup', () => {
    // Act
    const parsed = taxiRides.parse(JSON.stringify(trip));

    // Assess
    expect(parsed).toMatchObject({ ok: true, key: '229', ts: Date.UTC(2025, 0, 1, 5, 18, 38) });
  });

  it('accepts the nulls of flex-fare records and records without the newer surcharges', () => {
    // Prepare
    const { congestion_surcharge: _c, Airport_fee: _a, cbd_congestion_fee: _d, ...old } = trip;
    const flex = {
      ...trip,
      passenger_count: null,
      RatecodeID: null,
      store_and_fwd_flag: null,
      payment_type: 0,
    };

    // Act / Assess
    expect(taxiRides.parse(JSON.stringify(old)).ok).toBe(true);
    expect(taxiRides.parse(JSON.stringify(flex)).ok).toBe(true);
  });

  it.each([
    [
      'a pickup time without zone',
      { tpep_pickup_datetime: '2025-01-01 00:18:38' },
      /ISO 8601 date-time with a zone[\s\S]*at tpep_pickup_datetime/,
    ],
    [
      'a drop-off before the pickup',
      { tpep_dropoff_datetime: '2025-01-01T05:00:00Z' },
      /expected tpep_dropoff_datetime at or after tpep_pickup_datetime \(pickup 2025-01-01T05:18:38Z, drop-off 2025-01-01T05:00:00Z\)/,
    ],
    ['an unknown zone', { PULocationID: 266 }, /PULocationID/],
    ['an unknown vendor', { VendorID: 3 }, /VendorID/],
    ['a missing total', { total_amount: undefined }, /total_amount/],
    ['a negative distance', { trip_distance: -1 }, /trip_distance/],
  ])('rejects %s, saying which field', (_what, change, reason) => {
    // Act
    const parsed = taxiRides.parse(JSON.stringify({ ...trip, ...change }));

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('rejects text that is not JSON with the decoder reason', () => {
    const parsed = taxiRides.parse('VendorID,tpep_pickup_datetime');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/cannot decode/);
  });
});

describe('generateTaxiTrips', () => {
  // 20,000 trips at 3 a second (a busy NYC hour) span almost 2 hours of simulated time.
  const records = [
    ...generateTaxiTrips({ seed: 1, count: 20_000, startMs: Date.UTC(2025, 4, 1, 12), ratePerSec: 3 }),
  ];
  const input: ReferenceRecord<(typeof records)[number]['event']>[] = records.map((r) => {
    const parsed = taxiRides.parse(r.text, r.arrivalMs);
    if (!parsed.ok) throw new Error(parsed.reason);
    return { partition: 'shard-0', key: parsed.key, ts: parsed.ts, value: parsed.event };
  });
  const spec = { window: taxiRides.window, aggregations: taxiRides.config.aggregations };

  it('reports trips at drop-off: arrival follows drop-off, and pickup comes a trip duration before', () => {
    // Act
    const gaps = records.map((r) => ({
      report: r.arrivalMs - Date.parse(r.event.tpep_dropoff_datetime),
      duration: Date.parse(r.event.tpep_dropoff_datetime) - Date.parse(r.event.tpep_pickup_datetime),
      storeAndForward: r.event.store_and_fwd_flag === 'Y',
    }));

    // Assess
    const online = gaps.filter((g) => !g.storeAndForward);
    expect(online.every((g) => g.report >= 0 && g.report <= taxiFeed.jitter.maxMs + 1000)).toBe(true);
    expect(
      gaps.every((g) => g.duration >= taxiFeed.minDurationMs && g.duration <= taxiFeed.maxDurationMs),
    ).toBe(true);
    const sorted = gaps.map((g) => g.duration).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    expect(median / 60_000).toBeGreaterThan(9);
    expect(median / 60_000).toBeLessThan(15);
  });

  it('skews pickups to popular zones', () => {
    // Act
    const perZone = new Map<number, number>();
    for (const r of records) perZone.set(r.event.PULocationID, (perZone.get(r.event.PULocationID) ?? 0) + 1);
    const top = [...perZone.values()].sort((a, b) => b - a);

    // Assess: the 10 busiest zones take over a third of the trips, as in the TLC data.
    expect(top.slice(0, 10).reduce((a, b) => a + b, 0) / records.length).toBeGreaterThan(0.35);
    expect(perZone.size).toBeGreaterThan(100);
  });

  it('has under 1.5% late records with the 60-minute grace, and most records late without it', () => {
    // Act
    const withGrace = computeGroundTruth(input, spec, { flush: true });
    const noGrace = computeGroundTruth(
      input,
      { ...spec, window: { ...taxiRides.window, graceMs: 0 } },
      { flush: true },
    );

    // Assess: measured 0.70% (63 store-and-forward, 77 long or airport trips) for this seed.
    const late = withGrace.late.length / input.length;
    expect(late).toBeGreaterThan(0.003);
    expect(late).toBeLessThan(0.015);
    expect(withGrace.late.some((l) => l.value.store_and_fwd_flag === 'Y')).toBe(true);
    expect(noGrace.late.length / input.length).toBeGreaterThan(0.8);
  });

  it('counts every on-time trip in exactly one window', () => {
    // Act
    const truth = computeGroundTruth(input, spec, { flush: true });

    // Assess
    const counted = truth.results.reduce((sum, w) => sum + Number(w.values.trips), 0);
    expect(counted + truth.late.length).toBe(input.length);
  });
});
