import { describe, expect, it } from 'vitest';
import { STATE_VERSION } from '../../functions/core/index.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { ContextError, parseContext } from '../../infra/context.js';
import { deployable, resolvePipelines } from '../../infra/pipeline-catalog.js';

describe('parseContext', () => {
  it('fills defaults: on-demand streams, 24 h retention, 300 s / 128 MiB buffering', () => {
    // Prepare
    const raw = { pipelines: 'taxi-rides, click-sessions' };

    // Act
    const settings = parseContext(raw);

    // Assess
    expect(settings).toEqual({
      stage: 'dev',
      pipelines: ['taxi-rides', 'click-sessions'],
      transport: 'kinesis',
      streamMode: 'on-demand',
      shardCount: undefined,
      retentionHours: 24,
      bufferingIntervalSeconds: 300,
      bufferingSizeMiB: 128,
      warehouseStartDate: '2025-01-01',
    });
  });

  it('reads numbers given as strings by `-c key=value`', () => {
    const settings = parseContext({
      pipelines: 'taxi-rides',
      streamMode: 'provisioned',
      shardCount: '4',
      retentionHours: '48',
    });

    expect(settings).toMatchObject({ streamMode: 'provisioned', shardCount: 4, retentionHours: 48 });
  });

  it('gives provisioned streams one shard when shardCount is not set', () => {
    expect(parseContext({ pipelines: 'taxi-rides', streamMode: 'provisioned' }).shardCount).toBe(1);
  });

  it('gives MSK topics 4 partitions by default and no Kinesis settings', () => {
    const settings = parseContext({ pipelines: 'taxi-rides', transport: 'msk' });

    expect(settings).toEqual({
      stage: 'dev',
      pipelines: ['taxi-rides'],
      transport: 'msk',
      partitions: 4,
      retentionHours: 24,
      bufferingIntervalSeconds: 300,
      bufferingSizeMiB: 128,
      warehouseStartDate: '2025-01-01',
    });
  });

  it('reads partitions given as a string by `-c partitions=8`', () => {
    expect(parseContext({ pipelines: 'taxi-rides', transport: 'msk', partitions: '8' }).partitions).toBe(8);
  });

  it.each([
    [{ pipelines: 'taxi-rides', bufferingIntervalSeconds: '30' }, /bufferingIntervalSeconds.*\(given "30"\)/],
    [{ pipelines: 'taxi-rides', streamMode: 'fast' }, /streamMode.*\(given "fast"\)/],
    [{ pipelines: 'taxi-rides', retentionHours: 'a day' }, /retentionHours.*\(given "a day"\)/],
    [{ pipelines: '' }, /pipelines: at least one pipeline/],
    [{ pipelines: 'Taxi_Rides' }, /pipelines.*lower-case/],
    [{ pipelines: 'taxi-rides,taxi-rides' }, /each pipeline once \(given taxi-rides twice\)/],
    [{ pipelines: 'taxi-rides', shardCount: 2 }, /shardCount applies to streamMode=provisioned only/],
    [{ pipelines: 'taxi-rides', transport: 'kafka' }, /transport.*\(given "kafka"\)/],
    [
      { pipelines: 'taxi-rides', transport: 'msk', streamMode: 'provisioned' },
      /-c streamMode applies to transport=kinesis only \(given streamMode=provisioned with transport=msk\); size MSK topics with -c partitions/,
    ],
    [
      { pipelines: 'taxi-rides', transport: 'msk', shardCount: '2' },
      /-c shardCount applies to transport=kinesis only \(given shardCount=2 with transport=msk\)/,
    ],
    [
      { pipelines: 'taxi-rides', partitions: '8' },
      /-c partitions applies to transport=msk only \(given partitions=8 with transport=kinesis\)/,
    ],
    [{ pipelines: 'taxi-rides', transport: 'msk', partitions: '0' }, /-c partitions:.*\(given "0"\)/],
    [{ pipelines: 'taxi-rides', transport: 'msk', partitions: '1001' }, /-c partitions:.*\(given "1001"\)/],
    [{ pipelines: 'taxi-rides', transport: 'msk', partitions: 'many' }, /-c partitions:.*\(given "many"\)/],
    [{ pipelines: 'taxi-rides', alarmEmail: 'not-an-address' }, /alarmEmail.*\(given "not-an-address"\)/],
    [{ pipelines: 'taxi-rides', alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:q' }, /alarmTopicArn/],
    [
      { pipelines: 'taxi-rides', warehouseStartDate: '1995-8-1' },
      /warehouseStartDate.*yyyy-MM-dd.*\(given "1995-8-1"\)/,
    ],
    [
      { pipelines: 'taxi-rides', warehouseStartDate: '1995-02-30' },
      /warehouseStartDate.*\(given "1995-02-30"\)/,
    ],
  ])('rejects %j, quoting the value received', (raw, message) => {
    expect(() => parseContext(raw)).toThrow(ContextError);
    expect(() => parseContext(raw)).toThrow(message);
  });
});

describe('resolvePipelines', () => {
  it('takes each pipeline from the registry in functions/pipelines', () => {
    const [taxi] = resolvePipelines(['taxi-rides']);

    expect(taxi?.name).toBe('taxi-rides');
    expect(taxi?.window).toBeDefined();
  });

  it('fails synthesis on a pipeline that emits updates, which the warehouse cannot keep one row of', () => {
    // Prepare
    const pipeline = getPipeline('taxi-rides');

    // Act + Assess
    expect(deployable(pipeline)).toEqual({
      name: 'taxi-rides',
      window: pipeline.window,
      checkpoint: {
        window: pipeline.window,
        aggregations: pipeline.createEngine().initialState().aggregations,
        stateVersion: STATE_VERSION,
      },
    });
    expect(() =>
      deployable({ ...pipeline, name: 'live-taxis', window: pipeline.window, emit: 'updates' }),
    ).toThrow(
      /-c pipelines: live-taxis emits "updates"; the deployed aggregator delivers final results only/,
    );
  });

  it('fails synthesis on a pipeline the registry does not know, listing the known ones', () => {
    expect(() => resolvePipelines(['taxi-ridez'])).toThrow(
      /-c pipelines: unknown pipeline "taxi-ridez".*taxi-rides/,
    );
  });
});
