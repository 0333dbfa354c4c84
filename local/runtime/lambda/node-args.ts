/**
 * The Node.js flags Lambda's Node.js runtime starts a function with, from its memory setting.
 * Lambda's bootstrap (`/var/runtime/bootstrap` in the nodejs18.x base image) gives a tenth of the
 * memory to the young generation, split into two semi-spaces, and the rest to the old generation,
 * and exposes `gc`. A local execution environment started with the same flags runs out of heap
 * where the function would on Lambda, and collects garbage with the same young generation.
 * (The nodejs22.x bootstrap the functions run on could not be read offline; it is taken to do the
 * same as the nodejs18.x one.)
 */
export function lambdaNodeArgs(memoryMb: number): string[] {
  // Integer division, as the bootstrap's `expr` does.
  const newSpaceMb = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`,
    `--max-old-space-size=${memoryMb - newSpaceMb}`,
  ];
}
