import { describe, expect, it } from 'vitest';
import { getPipeline } from '../../../../functions/pipelines/index.js';
import { computeGroundTruth } from '../../../../local/reconcile/ground-truth.js';
import {
  evenShardRanges,
  kinesisShardFor,
  referenceInput,
} from '../../../../local/reconcile/reference-input.js';
import { closingHorizonMs } from '../../../../local/runtime/start/final-flush.js';
import { generatedInput } from '../../../../local/runtime/start/input.js';
import { kinesisPlacement, reconcile } from '../../../../local/runtime/start/reconcile.js';

const pipeline = getPipeline('taxi-rides');
const shards = evenShardRanges(4);
const input = generatedInput('taxi-rides', 200, 5);

let lateLines: Record<string, unknown>[] = [];

/** The aggregate lines a correct run writes, built from the reference model. */
function warehouseLines() {
  const { records } = referenceInput(pipeline, input, (key) => kinesisShardFor(key, shards));
  const truth = computeGroundTruth(
    records,
    { window: pipeline.window, aggregations: pipeline.config.aggregations },
    { flush: true },
  );
  lateLines = truth.late.map((l, i) => ({
    pipeline: 'taxi-rides',
    key: l.key,
    ts: l.ts,
    window_start: l.windowStart,
    window_end: l.windowEnd,
    shard: l.partition,
    sequence_number: String(i),
  }));
  return truth.results.map((w, i) => ({
    id: `id-${i}`,
    pipeline: 'taxi-rides',
    key: w.key,
    window_start: w.windowStart,
    window_end: w.windowEnd,
    values: w.values,
    shard: w.partition,
    emitted_at: 0,
  }));
}

describe('reconcile', () => {
  it('matches a warehouse that holds exactly the expected windows, and drops re-sent ids', () => {
    // Prepare
    const lines = warehouseLines();

    // Act
    const result = reconcile(pipeline, input, kinesisPlacement(shards), [...lines, lines[0]], lateLines);

    // Assess
    expect(result.ok, JSON.stringify(result.problems)).toBe(true);
    expect(result.expectedLate).toBeGreaterThan(0);
    expect(result.duplicateIds).toBe(1);
    expect(result.windows).toHaveLength(lines.length);
  });

  it('reports a window whose values differ, and one that is missing', () => {
    // Prepare
    const [first, second, ...rest] = warehouseLines();
    const changed = { ...first, values: { ...first?.values, trips: 999 } };

    // Act
    const result = reconcile(pipeline, input, kinesisPlacement(shards), [changed, ...rest], lateLines);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.comparison.differing).toHaveLength(1);
    expect(result.comparison.missing.map((w) => w.key)).toEqual([second?.key]);
  });

  it('fails when one result id was sent with two different values, even if the first copy is right', () => {
    // Prepare: the right result first, then a copy from another history of the state under its id
    const lines = warehouseLines();
    const [first] = lines;
    const diverged = { ...first, values: { ...first?.values, trips: 999 } };

    // Act
    const result = reconcile(pipeline, input, kinesisPlacement(shards), [...lines, diverged], lateLines);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.comparison.ok).toBe(true);
    expect(result.problems).toEqual([
      expect.stringMatching(/^result id-0 \(key .*\): sent with .* and with .*"trips":999/),
    ]);
  });

  it('fails when late/ holds records the model does not expect', () => {
    // Prepare
    const late = {
      pipeline: 'taxi-rides',
      key: '1',
      ts: 0,
      window_start: 0,
      window_end: 1,
      shard: 's',
      sequence_number: '1',
    };

    const aggregates = warehouseLines();

    // Act
    const result = reconcile(pipeline, input, kinesisPlacement(shards), aggregates, [
      ...lateLines,
      late,
      late,
    ]);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.expectedLate).toBe(lateLines.length);
    expect(result.late).toBe(lateLines.length + 1);
    expect(result.duplicateLate).toBe(1);
    expect(result.problems[0]).toMatch(/late records: expected \d+, found \d+/);
  });
});

describe('closingHorizonMs', () => {
  it('is the window span plus the grace', () => {
    expect(closingHorizonMs({ type: 'tumbling', sizeMs: 300_000, graceMs: 3_600_000 })).toBe(3_900_000);
    expect(closingHorizonMs({ type: 'session', gapMs: 1_800_000, graceMs: 600_000 })).toBe(2_400_000);
  });
});
