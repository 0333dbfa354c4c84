import { describe, expect, it } from 'vitest';
import { generatorNames, getGenerator } from '../../../functions/pipelines/generators.js';
import { getPipeline } from '../../../functions/pipelines/index.js';

const options = { seed: 7, count: 3000, startMs: Date.UTC(2025, 4, 1, 12), ratePerSec: 5 };

describe.each(generatorNames)('the %s generator', (name) => {
  const pipeline = getPipeline(name);
  const generate = getGenerator(name);

  it('is deterministic per seed and differs between seeds', () => {
    // Act
    const first = [...generate(options)].map((r) => `${r.arrivalMs} ${r.text}`);
    const again = [...generate(options)].map((r) => `${r.arrivalMs} ${r.text}`);
    const other = [...generate({ ...options, seed: 8 })].map((r) => `${r.arrivalMs} ${r.text}`);

    // Assess
    expect(first).toHaveLength(options.count);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('yields records in arrival order whose text decodes to the event', () => {
    // Act
    const records = [...generate(options)];
    const parsed = records.map((r) => pipeline.parse(r.text, r.arrivalMs));

    // Assess
    const backwards = records.filter((r, i) => i > 0 && r.arrivalMs < (records[i - 1]?.arrivalMs ?? 0));
    expect(backwards).toEqual([]);
    expect(parsed.filter((p) => !p.ok)).toEqual([]);
    expect(parsed.map((p) => (p.ok ? p.event : null))).toEqual(records.map((r) => r.event));
    expect(records[0]?.arrivalMs).toBeGreaterThanOrEqual(options.startMs);
  });

  it('is out of event-time order, as real feeds are', () => {
    // Prepare
    const times = [...generate(options)].map((r) => {
      const p = pipeline.parse(r.text, r.arrivalMs);
      return p.ok ? p.ts : Number.NaN;
    });

    // Act: a record is out of order when an earlier arrival had a later event time.
    let max = Number.NEGATIVE_INFINITY;
    let outOfOrder = 0;
    for (const ts of times) {
      if (ts < max) outOfOrder += 1;
      max = Math.max(max, ts);
    }

    // Assess
    expect(outOfOrder / times.length).toBeGreaterThan(0.1);
  });

  it('rejects options that cannot work, quoting the value', () => {
    // Act / Assess
    expect(() => [...generate({ ...options, count: -1 })]).toThrow(
      'count must be a whole number >= 0 (given -1)',
    );
    expect(() => [...generate({ ...options, ratePerSec: 0 })]).toThrow(
      'ratePerSec must be a finite number > 0 (given 0)',
    );
    expect([...generate({ ...options, count: 0 })]).toEqual([]);
  });
});
