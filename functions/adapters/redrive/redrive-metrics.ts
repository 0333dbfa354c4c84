import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RedriveReport } from './redrive-dead-letters.js';

/**
 * Records a redrive run as metrics beside the aggregator's (namespace `Tributary`, dimension
 * `pipeline` set by the handler): the records it took back, those left waiting in their shards for
 * windows still open (the others went to late/ or the dead-letter queue at once, which the
 * aggregator's `LateRecords` does not count), and the messages it left in the queue.
 */
export function recordRedriveMetrics(metrics: Metrics, report: RedriveReport): void {
  metrics.addMetric('RedrivenRecords', MetricUnit.Count, report.redriven.records);
  metrics.addMetric('RedrivenWaiting', MetricUnit.Count, report.redriven.waiting);
  metrics.addMetric('RedriveMessagesLeft', MetricUnit.Count, report.left.length);
}
