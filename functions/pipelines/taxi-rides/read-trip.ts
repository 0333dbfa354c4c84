import type { EventReader } from '../../core/pipeline.js';
import { readIsoTime } from '../iso-time.js';
import { type TaxiTrip, taxiTripSchema } from './schema.js';

// The order the schema outputs its fields in: an event with these keys in this order (the optional
// ones may be missing) is field for field what zod would build, so it can be used without a copy.
const FIELDS = Object.keys(taxiTripSchema.shape);
const VENDORS = new Set<unknown>([1, 2, 6, 7]);
const RATE_CODES = new Set<unknown>([1, 2, 3, 4, 5, 6, 99]);

function isInt(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function isMoney(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function isOptionalMoney(value: unknown): boolean {
  return value === undefined || value === null || isMoney(value);
}

// Own keys a subsequence of FIELDS (nothing extra, nothing out of order); required ones are
// checked present by their value checks.
function hasSchemaKeys(trip: object): boolean {
  let next = 0;
  for (const key in trip) {
    while (next < FIELDS.length && FIELDS[next] !== key) next++;
    if (next === FIELDS.length) return false;
    next++;
  }
  return true;
}

/**
 * The taxi trip schema's rules by hand, for the events that pass them in the schema's own form;
 * anything else (invalid, extra fields, another key order, another date-time shape) is declined
 * and goes to zod. Measured on the aggregator bench: zod's compiled parse plus the key and time
 * reads took ~1.2 us an event (12 ms of a 10,000-record batch, and a copy of each for the GC),
 * this ~0.3 us. A unit test holds it to the pipeline's parseEvent.
 */
export const readTaxiTrip: EventReader<TaxiTrip> = (candidate) => {
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  if (Object.getPrototypeOf(candidate) !== Object.prototype) return undefined;
  const trip = candidate as Record<string, unknown>;
  const pickup = trip.tpep_pickup_datetime;
  const dropoff = trip.tpep_dropoff_datetime;
  if (typeof pickup !== 'string' || typeof dropoff !== 'string') return undefined;
  // readIsoTime reads only date-times the schema's format accepts (NaN for the rest).
  const pickupMs = readIsoTime(pickup);
  const dropoffMs = readIsoTime(dropoff);
  if (!(dropoffMs >= pickupMs)) return undefined;
  const passengers = trip.passenger_count;
  const rateCode = trip.RatecodeID;
  const flag = trip.store_and_fwd_flag;
  const valid =
    VENDORS.has(trip.VendorID) &&
    (passengers === null || isInt(passengers, 0, 9)) &&
    typeof trip.trip_distance === 'number' &&
    Number.isFinite(trip.trip_distance) &&
    trip.trip_distance >= 0 &&
    (rateCode === null || RATE_CODES.has(rateCode)) &&
    (flag === null || flag === 'Y' || flag === 'N') &&
    isInt(trip.PULocationID, 1, 265) &&
    isInt(trip.DOLocationID, 1, 265) &&
    isInt(trip.payment_type, 0, 6) &&
    isMoney(trip.fare_amount) &&
    isMoney(trip.extra) &&
    isMoney(trip.mta_tax) &&
    isMoney(trip.tip_amount) &&
    isMoney(trip.tolls_amount) &&
    isMoney(trip.improvement_surcharge) &&
    isMoney(trip.total_amount) &&
    isOptionalMoney(trip.congestion_surcharge) &&
    isOptionalMoney(trip.Airport_fee) &&
    isOptionalMoney(trip.cbd_congestion_fee) &&
    hasSchemaKeys(trip);
  return valid ? { event: trip as TaxiTrip, ts: pickupMs } : undefined;
};
