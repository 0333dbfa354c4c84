import { describe, expect, it } from 'vitest';
import { lambdaNodeArgs } from '../../../../local/runtime/lambda/node-args.js';

describe('lambdaNodeArgs', () => {
  it.each([
    // memory, semi-space, old space: a tenth young (halved into two semi-spaces), the rest old
    [128, 6, 116],
    [1024, 51, 922],
    [1769, 88, 1593],
    [10_240, 512, 9216],
  ])('gives %i MB the heap of Lambda: semi-spaces of %i MB, %i MB old', (memory, semi, old) => {
    // Act
    const args = lambdaNodeArgs(memory);

    // Assess
    expect(args).toEqual([
      '--expose-gc',
      '--max-http-header-size=81920',
      `--max-semi-space-size=${semi}`,
      `--max-old-space-size=${old}`,
    ]);
  });
});
