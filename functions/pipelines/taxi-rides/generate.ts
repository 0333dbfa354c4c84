import {
  checkGeneratorOptions,
  type GeneratedRecord,
  type GeneratorOptions,
  inArrivalOrder,
} from '../generator.js';
import { Random, WeightedPicker } from '../random.js';
import type { TaxiTrip } from './schema.js';
import { dropoffPicker, JFK, LAGUARDIA, zonePicker } from './zones.js';

const MINUTE = 60_000;

/**
 * The shape of the simulated feed, exported so tests and the pipeline's grace can be reasoned
 * about from the same numbers.
 */
export const taxiFeed = {
  /** City trips: log-normal duration, median 11 min (p99 about 44 min). */
  cityDuration: { medianMs: 11 * MINUTE, sigma: 0.6 },
  /** Airport pickups: median 35 min (p95 about 62 min). */
  airportDuration: { medianMs: 35 * MINUTE, sigma: 0.35 },
  /** No trip is shorter than this or longer than this (longer ones are meter errors). */
  minDurationMs: MINUTE,
  maxDurationMs: 3 * 60 * MINUTE,
  /** Record reaches the stream this long after drop-off (the vendor's uplink): median 0.4 s, at most 10 s. */
  jitter: { medianMs: 400, sigma: 0.8, maxMs: 10_000 },
  /** Share of trips held in the vehicle ("store and forward") and sent 70 minutes to 4 hours late. */
  storeAndForwardShare: 0.005,
  storeAndForwardDelayMs: { min: 70 * MINUTE, max: 240 * MINUTE },
} as const;

// New York is UTC-5 (UTC-4 in summer): an hour off in summer only moves surcharges, not times.
const NEW_YORK_OFFSET_MS = -5 * 60 * MINUTE;
const CBD_FEE_FROM = Date.UTC(2025, 0, 5);

const cents = (amount: number): number => Math.round(amount * 100) / 100;
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function durationMs(random: Random, airport: boolean): number {
  const { medianMs, sigma } = airport ? taxiFeed.airportDuration : taxiFeed.cityDuration;
  const raw = random.logNormal(medianMs, sigma);
  return Math.round(Math.min(taxiFeed.maxDurationMs, Math.max(taxiFeed.minDurationMs, raw)) / 1000) * 1000;
}

/** The night and rush-hour surcharge of the pickup hour (New York time). */
function extraFor(pickupMs: number): number {
  const local = new Date(pickupMs + NEW_YORK_OFFSET_MS);
  const hour = local.getUTCHours();
  const weekday = local.getUTCDay() >= 1 && local.getUTCDay() <= 5;
  if (hour >= 20 || hour < 6) return 1;
  if (weekday && hour >= 16) return 2.5;
  return 0;
}

const passengers = new WeightedPicker([1, 2, 3, 4, 5, 6, 0], [70, 15, 5, 3, 3, 2, 2]);
const vendors = new WeightedPicker<1 | 2 | 7>([2, 1, 7], [75, 24, 1]);
const payments = new WeightedPicker([1, 2, 4, 3], [76, 21, 2, 1]);

function makeTrip(random: Random, pickupZone: number, dropoffZone: number, dropoffMs: number): TaxiTrip {
  const airport = pickupZone === JFK || pickupZone === LAGUARDIA;
  const duration = durationMs(random, airport);
  const pickupMs = dropoffMs - duration;
  const hours = duration / (60 * MINUTE);
  const distance = airport
    ? random.logNormal(pickupZone === JFK ? 17.5 : 9.5, 0.2)
    : random.logNormal(11, 0.3) * hours;
  const flatJfk = pickupZone === JFK && random.chance(0.8);
  // 2023 meter: $3 flag drop, $3.50 a mile, $0.70 a minute in slow traffic (about a fifth of the time).
  const fare = flatJfk ? 70 : 3 + 3.5 * distance + 0.7 * (duration / MINUTE) * 0.2;
  const payment = payments.pick(random);
  const tip = payment === 1 ? cents(fare * (0.15 + 0.1 * random.next())) : 0;
  const tolls = airport && random.chance(0.5) ? 6.94 : 0;
  const extra = extraFor(pickupMs);
  const congestion = airport ? 0 : 2.5;
  const airportFee = airport ? 1.75 : 0;
  const cbd = !airport && dropoffMs >= CBD_FEE_FROM ? 0.75 : 0;
  // About 1 in 200 real records are "flex fare" app bookings with nulls in the driver-entered fields.
  const flex = random.chance(0.005);
  const total = fare + extra + 0.5 + tip + tolls + 1 + congestion + airportFee + cbd;
  return {
    VendorID: vendors.pick(random),
    tpep_pickup_datetime: isoSeconds(pickupMs),
    tpep_dropoff_datetime: isoSeconds(dropoffMs),
    passenger_count: flex ? null : passengers.pick(random),
    trip_distance: cents(distance),
    RatecodeID: flex ? null : flatJfk ? 2 : 1,
    store_and_fwd_flag: flex ? null : 'N',
    PULocationID: pickupZone,
    DOLocationID: dropoffZone,
    payment_type: flex ? 0 : payment,
    fare_amount: cents(fare),
    extra,
    mta_tax: 0.5,
    tip_amount: tip,
    tolls_amount: tolls,
    improvement_surcharge: 1,
    total_amount: cents(total),
    congestion_surcharge: congestion,
    Airport_fee: airportFee,
    cbd_congestion_fee: cbd,
  };
}

/**
 * Seeded NYC yellow-taxi trips in arrival order. Trips are reported when the meter stops, so
 * drop-offs form the Poisson process of `ratePerSec` starting at `startMs`; each record arrives
 * a little after its drop-off (network jitter), except a few store-and-forward ones that arrive
 * hours late. Pickup times (the event time) are therefore out of order by the trip duration.
 */
export function* generateTaxiTrips(options: GeneratorOptions): Generator<GeneratedRecord<TaxiTrip>> {
  checkGeneratorOptions(options);
  const random = new Random(options.seed);
  const pickups = zonePicker();
  const dropoffs = dropoffPicker();
  const meanGapMs = 1000 / options.ratePerSec;
  let clock = options.startMs;
  yield* inArrivalOrder<TaxiTrip>(options.count, (push) => {
    clock += random.exponential(meanGapMs);
    // Drop-offs are whole seconds in the TLC files; arrival keeps milliseconds.
    const dropoffMs = Math.floor(clock / 1000) * 1000;
    const pickupZone = pickups.pick(random);
    const trip = makeTrip(random, pickupZone, dropoffs.pick(random), dropoffMs);
    let arrivalMs: number;
    if (random.chance(taxiFeed.storeAndForwardShare)) {
      const { min, max } = taxiFeed.storeAndForwardDelayMs;
      arrivalMs = Math.round(clock + min + random.next() * (max - min));
      push(toRecord({ ...trip, store_and_fwd_flag: 'Y' }, arrivalMs));
    } else {
      const { medianMs, sigma, maxMs } = taxiFeed.jitter;
      arrivalMs = Math.round(clock + Math.min(maxMs, random.logNormal(medianMs, sigma)));
      push(toRecord(trip, arrivalMs));
    }
    return Math.floor(clock);
  });
}

function toRecord(event: TaxiTrip, arrivalMs: number): GeneratedRecord<TaxiTrip> {
  // Text on demand: a benchmark that only needs events does not pay for JSON.stringify.
  return {
    event,
    arrivalMs,
    get text() {
      return JSON.stringify(event);
    },
  };
}
