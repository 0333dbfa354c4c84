import { describe, expect, it } from 'vitest';
import { ArrivalQueue } from '../../../functions/pipelines/generator.js';
import { Random, WeightedPicker, zipfWeights } from '../../../functions/pipelines/random.js';

describe('Random', () => {
  it('repeats its sequence for a seed and gives neighbouring seeds different ones', () => {
    // Act
    const draw = (seed: number) => {
      const random = new Random(seed);
      return Array.from({ length: 5 }, () => random.next());
    };

    // Assess
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
    expect(draw(1).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('has the mean it is asked for', () => {
    // Prepare
    const random = new Random(3);

    // Act
    const n = 20_000;
    let uniform = 0;
    let exponential = 0;
    for (let i = 0; i < n; i++) {
      uniform += random.next();
      exponential += random.exponential(10);
    }

    // Assess
    expect(uniform / n).toBeCloseTo(0.5, 1);
    expect(exponential / n).toBeGreaterThan(9.5);
    expect(exponential / n).toBeLessThan(10.5);
  });

  it('rejects a seed that is not a safe integer', () => {
    expect(() => new Random(1.5)).toThrow('seed must be a safe integer (given 1.5)');
  });
});

describe('WeightedPicker', () => {
  it('picks in proportion to the weights', () => {
    // Prepare
    const picker = new WeightedPicker(['a', 'b', 'c'], [6, 3, 1]);
    const random = new Random(11);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };

    // Act
    for (let i = 0; i < 10_000; i++) {
      const item = picker.pick(random);
      counts[item] = (counts[item] ?? 0) + 1;
    }

    // Assess
    expect(counts.a).toBeGreaterThan(5700);
    expect(counts.a).toBeLessThan(6300);
    expect(counts.c).toBeGreaterThan(850);
    expect(counts.c).toBeLessThan(1150);
  });

  it('refuses weights that do not fit the items', () => {
    expect(() => new WeightedPicker(['a'], [1, 2])).toThrow('need as many weights as items (given 2 for 1)');
    expect(() => new WeightedPicker(['a'], [0])).toThrow('at least one weight must be > 0');
    expect(zipfWeights(3)).toEqual([1, 1 / 2, 1 / 3]);
  });
});

describe('ArrivalQueue', () => {
  it('releases in arrival order, ties in the order pushed, only up to the given time', () => {
    // Prepare
    const queue = new ArrivalQueue<string>();
    for (const [event, arrivalMs] of [
      ['c', 30],
      ['a', 10],
      ['b1', 20],
      ['b2', 20],
      ['d', 40],
    ] as const) {
      queue.push({ event, arrivalMs, text: event });
    }

    // Act
    const upTo20 = [...queue.releaseUntil(20)].map((r) => r.event);
    const rest = [...queue.drain()].map((r) => r.event);

    // Assess
    expect(upTo20).toEqual(['a', 'b1', 'b2']);
    expect(rest).toEqual(['c', 'd']);
    expect(queue.size).toBe(0);
  });
});
