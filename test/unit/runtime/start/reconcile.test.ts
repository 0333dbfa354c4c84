import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePipeline } from '../../../../functions/core/pipeline.js';
import { getPipeline } from '../../../../functions/pipelines/index.js';
import { computeGroundTruth } from '../../../../local/reconcile/ground-truth.js';
import {
  evenShardRanges,
  kinesisShardFor,
  referenceInput,
} from '../../../../local/reconcile/reference-input.js';
import { closingHorizonMs } from '../../../../local/runtime/start/final-flush.js';
import { generatedInput, type InputRecord } from '../../../../local/runtime/start/input.js';
import { kinesisPlacement, reconcile } from '../../../../local/runtime/start/reconcile.js';
import { reconciliationText } from '../../../../local/runtime/start/summary.js';

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
    stream_time: l.streamTime,
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
      stream_time: 2,
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

describe('reconcile, refused input', () => {
  it('counts the lines the pipeline refuses and says why, by file line', () => {
    // Prepare: the generated events as a file would give them, with two broken lines
    const lines: InputRecord[] = [
      ...input.slice(0, 3).map((r, i) => ({ ...r, line: i + 2 })),
      { text: 'not json', arrivalMs: 0, line: 5 },
      { text: '{"VendorID": 3}', arrivalMs: 0, line: 6 },
    ];

    // Act
    const result = reconcile(pipeline, lines, kinesisPlacement(shards), [], []);
    const text = reconciliationText(result);

    // Assess
    expect(result.invalidInput).toBe(2);
    expect(result.invalidReasons).toEqual([
      expect.stringMatching(/^ {2}1 x cannot decode "not json": .*\(input lines 5\)$/),
      expect.stringMatching(/^ {2}1 x does not match the taxi-rides schema: .*\(input lines 6\)$/),
    ]);
    expect(text).toContain('  input lines the pipeline refuses: 2\n    1 x cannot decode "not json"');
  });
});

describe('reconcile, sliding windows', () => {
  it('leaves out what a record late for only some of its windows touched, and checks the rest', () => {
    // Prepare: a sliding pipeline (td 4, grace 0) and the engine's own output as the warehouse
    const sliding = definePipeline({
      name: 'sliding-test',
      description: 'sliding windows, for the reconciliation',
      schema: z.object({ k: z.string(), t: z.int() }),
      key: (e) => e.k,
      eventTime: (e) => e.t,
      window: { type: 'sliding', timeDifferenceMs: 4, graceMs: 0 },
      aggregations: { n: { fn: 'count' } },
    });
    const events = [
      ['c', 30],
      ['a', 32],
      ['c', 31],
      ['c', 34],
      ['a', 35],
      ['c', 37],
      ['c', 20],
    ] as const;
    const records: InputRecord[] = events.map(([k, t]) => ({ text: JSON.stringify({ k, t }), arrivalMs: 0 }));
    const one = evenShardRanges(1);
    const shard = kinesisShardFor('c', one);
    const engine = sliding.createEngine();
    const out = engine.process(
      undefined,
      events.map(([key, ts]) => ({ key, ts, value: { k: key, t: ts } })),
    );
    const results = [...out.results, ...engine.flush(out.state).results];
    const aggregates = results.map((w, i) => ({
      id: `id-${i}`,
      pipeline: 'sliding-test',
      key: w.key,
      window_start: w.windowStart,
      window_end: w.windowEnd,
      values: w.values,
      shard,
      emitted_at: 0,
    }));
    const late = out.late.map((l, i) => ({
      pipeline: 'sliding-test',
      key: l.key,
      ts: l.ts,
      window_start: l.windowStart,
      window_end: l.windowEnd,
      stream_time: l.streamTime,
      shard,
      sequence_number: String(i),
    }));

    // Act
    const result = reconcile(sliding, records, kinesisPlacement(one), aggregates, late);

    // Assess: c@31 (late at stream time 32, its right window open) is the model's to leave out;
    // the engine put it in [31, 35] and, as Kafka Streams does, in [33, 37] through [31, 35]
    expect(results).toContainEqual(expect.objectContaining({ key: 'c', windowStart: 33, values: { n: 3 } }));
    expect(result.ok, JSON.stringify(result.problems)).toBe(true);
    expect(result.unchecked).toEqual({ records: 1, windows: 4, late: 1 });
    expect(result.expectedLate).toBe(1); // c@20, later than every window it could be in
    expect(result.comparison.matched).toBe(results.length - 4);
    expect(reconciliationText(result)).toContain(
      'not checked: 4 windows and 1 late line around 1 record later than the grace while some of their sliding windows were open',
    );
  });
});

describe('closingHorizonMs', () => {
  it('is the window span plus the grace', () => {
    expect(closingHorizonMs({ type: 'tumbling', sizeMs: 300_000, graceMs: 3_600_000 })).toBe(3_900_000);
    expect(closingHorizonMs({ type: 'session', gapMs: 1_800_000, graceMs: 600_000 })).toBe(2_400_000);
  });
});
