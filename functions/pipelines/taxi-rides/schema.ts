import { z } from 'zod';
import { parseIsoTime } from '../iso-time.js';

// Field names and codes follow the TLC "Data Dictionary – Yellow Taxi Trip Records" (March 2025
// edition, nyc.gov/assets/tlc/downloads/pdf/data_dictionary_trip_records_yellow.pdf).

const isoWithZone = z.iso.datetime({
  offset: true,
  error:
    'expected an ISO 8601 date-time with a zone, such as 2025-01-01T05:18:38Z (the TLC files hold ' +
    'New York wall-clock time without one: the producer must add the offset)',
});
const money = z.number();

function field(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[name] : undefined;
}
const locationId = z.int().min(1).max(265);

/** One NYC TLC yellow-taxi trip record, as the producer writes it (one JSON object per trip). */
export const taxiTripSchema = z
  .object({
    /** 1 Creative Mobile Technologies, 2 Curb Mobility, 6 Myle Technologies, 7 Helix. */
    VendorID: z.literal([1, 2, 6, 7]),
    /** When the meter was engaged. */
    tpep_pickup_datetime: isoWithZone,
    /** When the meter was disengaged. */
    tpep_dropoff_datetime: isoWithZone,
    /** Driver-entered; null in the real files for "flex fare" and some app-booked trips. */
    passenger_count: z.int().min(0).max(9).nullable(),
    /** Miles, from the taximeter. */
    trip_distance: z.number().min(0),
    /** 1 standard, 2 JFK, 3 Newark, 4 Nassau/Westchester, 5 negotiated, 6 group ride, 99 unknown. */
    RatecodeID: z.literal([1, 2, 3, 4, 5, 6, 99]).nullable(),
    /** Y when the vehicle held the record in memory for lack of a connection ("store and forward"). */
    store_and_fwd_flag: z.enum(['Y', 'N']).nullable(),
    /** TLC taxi zone where the meter was engaged. */
    PULocationID: locationId,
    /** TLC taxi zone where the meter was disengaged. */
    DOLocationID: locationId,
    /** 0 flex fare, 1 credit card, 2 cash, 3 no charge, 4 dispute, 5 unknown, 6 voided. */
    payment_type: z.int().min(0).max(6),
    // Amounts in USD. They can be negative in the real files (refunds, voided trips).
    fare_amount: money,
    extra: money,
    mta_tax: money,
    tip_amount: money,
    tolls_amount: money,
    improvement_surcharge: money,
    total_amount: money,
    // Added over the years (2019, 2021, 2025): older records do not have them.
    congestion_surcharge: money.nullable().optional(),
    Airport_fee: money.nullable().optional(),
    cbd_congestion_fee: money.nullable().optional(),
  })
  // A refine, not a superRefine: zod's compiled parser runs a refine inline (the issue is built
  // only when it fails). parseIsoTime is Date.parse, faster on these fields.
  .refine((trip) => parseIsoTime(trip.tpep_dropoff_datetime) >= parseIsoTime(trip.tpep_pickup_datetime), {
    path: ['tpep_dropoff_datetime'],
    error: (issue) =>
      'expected tpep_dropoff_datetime at or after tpep_pickup_datetime ' +
      `(pickup ${field(issue.input, 'tpep_pickup_datetime')}, drop-off ${field(issue.input, 'tpep_dropoff_datetime')})`,
  });

/** A validated taxi trip. */
export type TaxiTrip = z.output<typeof taxiTripSchema>;
