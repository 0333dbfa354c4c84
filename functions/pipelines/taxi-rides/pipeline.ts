import { definePipeline } from '../../core/pipeline.js';
import { parseIsoTime } from '../iso-time.js';
import { readTaxiTrip } from './read-trip.js';
import { taxiTripSchema } from './schema.js';

const MINUTE = 60_000;

/**
 * Trips and revenue per pickup zone in 5-minute tumbling windows of pickup time.
 *
 * Event time is the pickup, not the drop-off: the question is where and when demand appears, and
 * a long ride must count in the window its passenger hailed it. The price is lateness: vendors
 * report a trip when the meter stops, so a record reaches the stream a trip-duration after its
 * event time, and stream time (the newest pickup seen) runs ahead of it by about that much.
 *
 * Grace = 60 minutes, from the generator's (and the TLC data's) duration distribution: a record
 * can only be late when its lateness exceeds the grace, and lateness is about the trip's duration.
 * City trips (median 11 min) pass 60 minutes about once in 2,000; airport pickups (median 35 min)
 * about once in 17; store-and-forward records (0.5%, 70 minutes to 4 hours after drop-off) are
 * late by design. Measured with the reference model (test/unit/pipelines/taxi-rides.test.ts):
 * 0.6-0.85% of records late at 3 trips/s, against about 89% with no grace at all. The price:
 * final results 65 minutes after a window starts. Drop-off time would need almost no grace but
 * would put a 2-hour airport ride in the window it ended in.
 */
export const taxiRides = definePipeline({
  name: 'taxi-rides',
  description: 'NYC yellow-taxi trips and revenue per pickup zone, 5-minute tumbling windows of pickup time',
  schema: taxiTripSchema,
  key: (trip) => String(trip.PULocationID),
  eventTime: (trip) => parseIsoTime(trip.tpep_pickup_datetime),
  // Read by hand, with the schema's rules, on the aggregator's hot path (batches of up to 10,000
  // records, 1,000 as deployed): zod's compiled parse copies every trip.
  read: readTaxiTrip,
  window: { type: 'tumbling', sizeMs: 5 * MINUTE, graceMs: 60 * MINUTE },
  aggregations: {
    trips: { fn: 'count' },
    revenue: { fn: 'sum', field: (trip) => trip.total_amount },
    avg_fare: { fn: 'avg', field: (trip) => trip.fare_amount },
    tips: { fn: 'sum', field: (trip) => trip.tip_amount },
    // Null (not entered by the driver) counts as no passenger rather than failing the record.
    passengers: { fn: 'sum', field: (trip) => trip.passenger_count ?? 0 },
    avg_distance: { fn: 'avg', field: (trip) => trip.trip_distance },
    dropoff_zones: { fn: 'distinct', field: (trip) => trip.DOLocationID },
  },
});
