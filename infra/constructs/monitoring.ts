import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/adapters/aggregator/metrics.js';
import type { PipelineStream } from './stream-transport.js';

/** What is watched of one pipeline. */
export interface MonitoredPipeline {
  readonly name: string;
  readonly stream: PipelineStream;
  readonly aggregator: IFunction;
  readonly idleFlush: IFunction;
  readonly deadLetterQueue: IQueue;
  readonly rawDelivery: IDeliveryStream;
  /** The pipeline's redrive function (on both transports): its metrics and errors, no alarm. */
  readonly redrive: IFunction;
}

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  readonly dashboardName: string;
  readonly pipelines: readonly MonitoredPipeline[];
  readonly producer: IFunction;
  /** Delivery streams shared by all pipelines (aggregates, late), by label. */
  readonly sharedDeliveries: Readonly<Record<string, IDeliveryStream>>;
  /** Firehose buffering interval: data older than twice this is an alarm. */
  readonly bufferingInterval: Duration;
  /**
   * Where alarms notify.
   * @default - alarms change state without notifying anyone
   */
  readonly alarmTopic?: ITopic;
  /**
   * Oldest unprocessed record age that raises the iterator-age alarms.
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeThreshold?: Duration;
  /**
   * Share of late records (LateRecords / RecordsIn over 5 minutes) that raises an alarm.
   * @default 0.01
   */
  readonly lateRateThreshold?: number;
  /**
   * The Powertools `service` dimension of the aggregator's custom metrics (Powertools adds it to
   * every metric next to `pipeline`; CloudWatch matches dimension sets exactly).
   * @default 'tributary-aggregator'
   */
  readonly aggregatorServiceName?: string;
  /**
   * The Powertools `service` dimension of the idle flush's metrics (`ShardsBehind`).
   * @default 'tributary-idle-flush'
   */
  readonly idleFlushServiceName?: string;
  /**
   * The redrive's POWERTOOLS_SERVICE_NAME, part of its metrics' dimensions.
   * @default 'tributary-redrive'
   */
  readonly redriveServiceName?: string;
}

/** Dashboard and alarms of the whole app; every alarm is exposed in {@link alarms}. */
export class Monitoring extends Construct {
  public readonly dashboard: Dashboard;
  public readonly alarms: Alarm[] = [];
  private readonly topic: ITopic | undefined;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = props.alarmTopic;
    const lateThreshold = props.lateRateThreshold ?? 0.01;
    if (!(lateThreshold > 0 && lateThreshold <= 1)) {
      throw new Error(`lateRateThreshold must be a share in (0, 1] (given ${lateThreshold})`);
    }
    const ageMs = (props.iteratorAgeThreshold ?? Duration.minutes(5)).toMilliseconds();
    const freshnessS = props.bufferingInterval.toSeconds() * 2 + 60;
    const service = props.aggregatorServiceName ?? 'tributary-aggregator';
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });

    for (const p of props.pipelines) {
      const custom = (metricName: string) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { pipeline: p.name, service },
          statistic: 'Sum',
          period: Duration.minutes(5),
        });
      const streamAge = p.stream.metricIteratorAge();
      const lambdaAge = p.aggregator.metric('IteratorAge', {
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
      const dlq = p.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
      const lateRate = new MathExpression({
        expression: 'IF(recordsIn > 0, late / recordsIn, 0)',
        usingMetrics: { late: custom('LateRecords'), recordsIn: custom('RecordsIn') },
        period: Duration.minutes(5),
        label: `${p.name} late share`,
      });

      this.alarm(`${p.name}StreamIteratorAge`, streamAge, ageMs, `${p.name}: oldest unread stream record`);
      this.alarm(`${p.name}AggregatorIteratorAge`, lambdaAge, ageMs, `${p.name}: aggregator falls behind`);
      this.alarm(`${p.name}DeadLetters`, dlq, 0, `${p.name}: records in the dead-letter queue`);
      this.alarm(`${p.name}LateRate`, lateRate, lateThreshold, `${p.name}: share of late records`);
      // Every flush run of a quarter of an hour found a quiet shard still holding records its
      // mapping had not delivered: on Kinesis, most likely records it gave up on (see the
      // dead-letter queue), which keep that shard's windows open until they pass the maximum age.
      const shardsBehind = new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'ShardsBehind',
        dimensionsMap: { pipeline: p.name, service: props.idleFlushServiceName ?? 'tributary-idle-flush' },
        statistic: 'Minimum',
        period: Duration.minutes(15),
      });
      this.alarm(
        `${p.name}ShardsBehind`,
        shardsBehind,
        0,
        `${p.name}: a quiet shard has held records its mapping did not deliver for half an hour; its windows stay open`,
      );
      this.functionAlarms(`${p.name}Aggregator`, p.aggregator);
      this.functionAlarms(`${p.name}IdleFlush`, p.idleFlush);
      this.deliveryAlarms(`${p.name}Raw`, p.rawDelivery, freshnessS);

      this.dashboard.addWidgets(
        new GraphWidget({ title: `${p.name}: iterator age (ms)`, left: [streamAge, lambdaAge], width: 8 }),
        new GraphWidget({
          title: `${p.name}: records`,
          left: [
            custom('RecordsIn'),
            custom('InvalidRecords'),
            custom('LateRecords'),
            custom('WindowsClosed'),
          ],
          right: [lateRate],
          width: 8,
        }),
        new GraphWidget({
          title: `${p.name}: errors and dead letters`,
          left: [
            p.aggregator.metricErrors(),
            p.aggregator.metricThrottles(),
            p.idleFlush.metricErrors(),
            shardsBehind,
          ],
          right: [dlq],
          width: 8,
        }),
      );
      // The redrive, Kinesis or MSK alike: run by hand, so no alarm. The late records it sends
      // itself are in no aggregator metric.
      const redriven = (metricName: string) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { pipeline: p.name, service: props.redriveServiceName ?? 'tributary-redrive' },
          statistic: 'Sum',
          period: Duration.minutes(5),
        });
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `${p.name}: redrive`,
          left: [redriven('RedrivenRecords'), redriven('RedrivenWaiting'), redriven('RedriveMessagesLeft')],
          right: [p.redrive.metricErrors()],
          width: 8,
        }),
      );
    }

    this.functionAlarms('Producer', props.producer);
    for (const [label, delivery] of Object.entries(props.sharedDeliveries)) {
      this.deliveryAlarms(label, delivery, freshnessS);
    }
    const deliveries = [
      ...props.pipelines.map((p) => p.rawDelivery),
      ...Object.values(props.sharedDeliveries),
    ];
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Producer',
        left: [
          props.producer.metricInvocations(),
          props.producer.metricErrors(),
          props.producer.metricThrottles(),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Firehose data freshness (s)',
        left: deliveries.map((d) => d.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Firehose delivery success',
        left: deliveries.map((d) => d.metric('DeliveryToS3.Success', { statistic: 'Average' })),
        width: 8,
      }),
    );
  }

  private functionAlarms(label: string, fn: IFunction): void {
    const period = Duration.minutes(5);
    this.alarm(
      `${label}Errors`,
      fn.metricErrors({ period, statistic: 'Sum' }),
      0,
      `${label}: function errors`,
    );
    this.alarm(
      `${label}Throttles`,
      fn.metricThrottles({ period, statistic: 'Sum' }),
      0,
      `${label}: throttles`,
    );
  }

  private deliveryAlarms(label: string, delivery: IDeliveryStream, freshnessS: number): void {
    const period = Duration.minutes(5);
    this.alarm(
      `${label}Freshness`,
      delivery.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period }),
      freshnessS,
      `${label}: oldest record not yet in S3 (s)`,
    );
    // Success is the share of successful PutObject calls; missing data means nothing to deliver.
    this.alarm(
      `${label}DeliveryFailures`,
      delivery.metric('DeliveryToS3.Success', { statistic: 'Average', period }),
      1,
      `${label}: deliveries to S3 failing`,
      ComparisonOperator.LESS_THAN_THRESHOLD,
    );
    this.alarm(
      `${label}PartitionErrors`,
      delivery.metric('PartitionCountExceeded', { statistic: 'Maximum', period }),
      0,
      `${label}: too many active partitions`,
    );
  }

  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    comparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
  ): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (this.topic) {
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
    }
    this.alarms.push(alarm);
  }
}
