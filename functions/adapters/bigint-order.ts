/** Math.min and Math.max for sequence numbers and offsets, which exceed 2^53 as numbers. */
export function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxBigInt(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
