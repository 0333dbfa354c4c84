import { WeightedPicker, zipfWeights } from '../random.js';

/**
 * TLC taxi zones (LocationID, from the TLC's taxi_zone_lookup.csv) in roughly the order of yellow
 * taxi pickups: Manhattan below 110th Street and the two airports take most of the trips.
 */
export const popularZones: ReadonlyArray<readonly [id: number, name: string]> = [
  [237, 'Upper East Side South'],
  [161, 'Midtown Center'],
  [236, 'Upper East Side North'],
  [132, 'JFK Airport'],
  [162, 'Midtown East'],
  [186, 'Penn Station/Madison Sq West'],
  [230, 'Times Sq/Theatre District'],
  [142, 'Lincoln Square East'],
  [138, 'LaGuardia Airport'],
  [170, 'Murray Hill'],
  [163, 'Midtown North'],
  [239, 'Upper West Side South'],
  [141, 'Lenox Hill West'],
  [234, 'Union Sq'],
  [48, 'Clinton East'],
  [68, 'East Chelsea'],
  [79, 'East Village'],
  [107, 'Gramercy'],
  [140, 'Lenox Hill East'],
  [263, 'Yorkville West'],
  [249, 'West Village'],
  [238, 'Upper West Side North'],
  [164, 'Midtown South'],
  [100, 'Garment District'],
  [229, 'Sutton Place/Turtle Bay North'],
  [233, 'UN/Turtle Bay South'],
  [113, 'Greenwich Village North'],
  [90, 'Flatiron'],
  [43, 'Central Park'],
  [262, 'Yorkville East'],
  [246, 'West Chelsea/Hudson Yards'],
  [231, 'TriBeCa/Civic Center'],
  [114, 'Greenwich Village South'],
  [151, 'Manhattan Valley'],
  [143, 'Lincoln Square West'],
  [137, 'Kips Bay'],
  [144, 'Little Italy/NoLiTa'],
  [148, 'Lower East Side'],
  [50, 'Clinton West'],
  [211, 'SoHo'],
  [87, 'Financial District North'],
  [158, 'Meatpacking/West Village West'],
  [125, 'Hudson Sq'],
  [13, 'Battery Park City'],
  [166, 'Morningside Heights'],
  [75, 'East Harlem South'],
  [88, 'Financial District South'],
  [261, 'World Trade Center'],
  [4, 'Alphabet City'],
  [7, 'Astoria'],
];

/** JFK and LaGuardia: long trips, flat fare from JFK, airport fee. */
export const JFK = 132;
export const LAGUARDIA = 138;

/** Highest TLC LocationID: 264 and 265 are "Unknown" and "Outside of NYC". */
export const MAX_LOCATION_ID = 265;

/**
 * Pickup zone popularity: Zipf over the popular zones, then every other zone (outer boroughs,
 * unknown) with a small equal share, so about 5% of trips start outside the list.
 */
export function zonePicker(): WeightedPicker<number> {
  const popular = popularZones.map(([id]) => id);
  const weights = zipfWeights(popular.length, 0.9);
  const popularTotal = weights.reduce((a, b) => a + b, 0);
  const known = new Set(popular);
  const others: number[] = [];
  for (let id = 1; id <= MAX_LOCATION_ID; id += 1) if (!known.has(id)) others.push(id);
  const otherWeight = (popularTotal * 0.05) / others.length;
  return new WeightedPicker([...popular, ...others], [...weights, ...others.map(() => otherWeight)]);
}

/** Drop-off zones: mostly the same popular zones (trips stay in Manhattan), fewer outliers. */
export function dropoffPicker(): WeightedPicker<number> {
  const popular = popularZones.map(([id]) => id).filter((id) => id !== JFK && id !== LAGUARDIA);
  return new WeightedPicker(popular, zipfWeights(popular.length, 0.6));
}
