import { describe, expect, it } from 'vitest';
import {
  getPipeline,
  pipelineNames,
  pipelines,
  UnknownPipelineError,
} from '../../../functions/pipelines/index.js';

describe('the pipeline registry', () => {
  it('holds the three examples by name (and any pipeline added beside them)', () => {
    expect(pipelineNames).toEqual(
      expect.arrayContaining(['click-sessions', 'taxi-rides', 'web-access-logs']),
    );
    // Each one under its own name (a registry entry under another name would deploy it twice)
    for (const [name, pipeline] of Object.entries(pipelines)) expect(pipeline.name).toBe(name);
  });

  it('names the known pipelines when asked for an unknown one', () => {
    // Act
    const ask = () => getPipeline('taxi');

    // Assess
    expect(ask).toThrow(UnknownPipelineError);
    expect(ask).toThrow(`unknown pipeline "taxi": expected one of ${pipelineNames.join(', ')}`);
  });

  it('does not answer for inherited object properties', () => {
    expect(() => getPipeline('toString')).toThrow(UnknownPipelineError);
    expect(() => getPipeline('__proto__')).toThrow(UnknownPipelineError);
  });

  it('gives each example the window the issue asks for', () => {
    expect(getPipeline('taxi-rides').window).toMatchObject({ type: 'tumbling', sizeMs: 300_000 });
    expect(getPipeline('web-access-logs').window).toMatchObject({
      type: 'hopping',
      sizeMs: 300_000,
      advanceMs: 60_000,
    });
    expect(getPipeline('click-sessions').window).toMatchObject({
      type: 'session',
      gapMs: 1_800_000,
    });
  });
});
