import { describe, expect, it } from 'vitest';
import { producerRate } from '../../../../local/runtime/start/run-start.js';

describe('producerRate (the pace of a new run)', () => {
  it('is --rate when no --duration is given', () => {
    expect(producerRate(2000, { rate: 150 })).toBe(150);
    expect(producerRate(2000, { rate: 0, durationSeconds: 0 })).toBe(0);
  });

  it('spreads the input actually read over --duration, whatever --events says', () => {
    // The 2,000-line NASA TSV over 60 s: 33/s (it was 20,000 default events / 60 = 333/s, 6 s).
    expect(producerRate(2000, { rate: 0, durationSeconds: 60 })).toBe(33);
  });

  it('never paces below one event a second', () => {
    expect(producerRate(3, { rate: 0, durationSeconds: 60 })).toBe(1);
  });
});
