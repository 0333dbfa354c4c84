import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { emptyStats } from '../../../functions/adapters/aggregator/dependencies.js';
import { recordAggregatorMetrics } from '../../../functions/adapters/aggregator/metrics.js';
import { recordRedriveMetrics } from '../../../functions/adapters/redrive/redrive-metrics.js';

describe('recordAggregatorMetrics', () => {
  it('records the six metrics the alarms read, under namespace Tributary with the pipeline dimension', () => {
    // Prepare
    const metrics = new Metrics({ namespace: 'Tributary', serviceName: 'aggregator' });
    metrics.setDefaultDimensions({ pipeline: 'taxi-rides' });
    const stats = {
      ...emptyStats(),
      recordsIn: 10,
      invalidRecords: 2,
      lateRecords: 1,
      windowsClosed: 3,
      stateBytes: 512,
      streamTimeLagMs: 900,
    };

    // Act
    recordAggregatorMetrics(metrics, stats);
    const emf = metrics.serializeMetrics();

    // Assess
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('Tributary');
    expect(directive?.Dimensions[0]).toContain('pipeline');
    expect(directive?.Metrics.map((m) => m.Name).sort()).toEqual(
      ['InvalidRecords', 'LateRecords', 'RecordsIn', 'StateBytes', 'StreamTimeLagMs', 'WindowsClosed'].sort(),
    );
    expect(emf).toMatchObject({
      pipeline: 'taxi-rides',
      RecordsIn: 10,
      InvalidRecords: 2,
      StreamTimeLagMs: 900,
    });
  });
});

describe('recordRedriveMetrics', () => {
  it('records what a redrive took back, what waits and what it left, under namespace Tributary with the pipeline dimension', () => {
    // Prepare
    const metrics = new Metrics({ namespace: 'Tributary', serviceName: 'redrive' });
    metrics.setDefaultDimensions({ pipeline: 'taxi-rides' });

    // Act
    recordRedriveMetrics(metrics, {
      received: 3,
      redriven: { batches: 2, records: 2000, waiting: 150, skipped: 0 },
      wouldRedrive: 0,
      left: [{ messageId: 'm', kind: 'not-a-batch', reason: 'an aggregator dead letter' }],
      dropped: [],
    });
    const emf = metrics.serializeMetrics();

    // Assess
    expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe('Tributary');
    expect(emf).toMatchObject({
      pipeline: 'taxi-rides',
      RedrivenRecords: 2000,
      RedrivenWaiting: 150,
      RedriveMessagesLeft: 1,
    });
  });
});
