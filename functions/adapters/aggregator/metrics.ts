import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AggregatorStats } from './dependencies.js';

/** The CloudWatch namespace of the functions' metrics, which the dashboard and alarms read. */
export const METRICS_NAMESPACE = 'Tributary';

/**
 * Records an invocation's counters as the metrics the alarms and dashboard read (namespace
 * {@link METRICS_NAMESPACE}, dimension `pipeline` set as a default dimension by the handler).
 */
export function recordAggregatorMetrics(metrics: Metrics, stats: AggregatorStats): void {
  metrics.addMetric('RecordsIn', MetricUnit.Count, stats.recordsIn);
  metrics.addMetric('InvalidRecords', MetricUnit.Count, stats.invalidRecords);
  metrics.addMetric('LateRecords', MetricUnit.Count, stats.lateRecords);
  metrics.addMetric('WindowsClosed', MetricUnit.Count, stats.windowsClosed);
  if (stats.stateBytes > 0) metrics.addMetric('StateBytes', MetricUnit.Bytes, stats.stateBytes);
  if (stats.streamTimeLagMs !== undefined) {
    metrics.addMetric('StreamTimeLagMs', MetricUnit.Milliseconds, Math.max(0, stats.streamTimeLagMs));
  }
}
