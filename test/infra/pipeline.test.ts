import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_VERSION } from '../../functions/core/index.js';
import { getPipeline } from '../../functions/pipelines/index.js';
import { removeAssembly, SYNTH_TIMEOUT_MS, type SynthesizedApp, synthesize } from './build-app.js';
import { expectRedriveWidgets } from './redrive-dashboard.js';

// One synthesis for the whole file: bundling the functions is the slow part.
let app: SynthesizedApp;
beforeAll(async () => {
  app = await synthesize();
}, SYNTH_TIMEOUT_MS);
afterAll(() => removeAssembly(app?.outdir));

/** The example pipelines, and their names as CDK puts them into logical ids. */
const PIPELINES = ['taxi-rides', 'web-access-logs', 'click-sessions'];
const logicalName = (pipeline: string) => pipeline.replaceAll('-', '');

describe('streams', () => {
  it('creates one encrypted on-demand Kinesis stream per pipeline, keeping records 24 h', () => {
    app.template.resourceCountIs('AWS::Kinesis::Stream', PIPELINES.length);
    for (const pipeline of PIPELINES) {
      app.template.hasResourceProperties('AWS::Kinesis::Stream', {
        Name: `tributary-dev-${pipeline}`,
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        RetentionPeriodHours: 24,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      });
    }
  });
});

describe('producer', () => {
  it('runs on nodejs22.x / arm64 with the stream of every pipeline in STREAM_NAMES', () => {
    app.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'tributary-producer',
          STREAM_NAMES: Match.serializedJson({
            'taxi-rides': Match.anyValue(),
            'web-access-logs': Match.anyValue(),
            'click-sessions': Match.anyValue(),
          }),
        }),
      },
    });
  });

  it('stays outside any VPC with only TRANSPORT and STREAM_NAMES from the transport: nothing of MSK on Kinesis', () => {
    const [producer] = Object.values(app.template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'tributary-producer',
    );
    expect(Object.keys(producer?.Properties.Environment.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'STREAM_NAMES',
      'TRANSPORT',
    ]);
    expect(producer?.Properties.Environment.Variables.TRANSPORT).toBe('kinesis');
    expect(producer?.Properties.VpcConfig).toBeUndefined();
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::MSK::ServerlessCluster',
      'Custom::KafkaTopic',
      'Custom::AWS',
    ]) {
      app.template.resourceCountIs(type, 0);
    }
  });

  it('is reachable only through a function URL with AWS_IAM auth', () => {
    app.template.resourceCountIs('AWS::Lambda::Url', 1);
    app.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  it('gives `tributary produce` a role that may put records and call the URL', () => {
    app.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ProducerClientRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kinesis:PutRecord', 'kinesis:PutRecords']) }),
          Match.objectLike({ Action: 'lambda:InvokeFunctionUrl' }),
        ]),
      },
    });
    app.template.hasOutput('ProduceRoleArn', {});
  });
});

describe('aggregator', () => {
  it('consumes its stream from TRIM_HORIZON with partial batch responses, bisection, bounded retries', () => {
    app.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    app.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetters'), 'Arn'] } },
      },
    });
  });

  it('gets the environment of the functions contract', () => {
    app.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PIPELINE_NAME: 'taxi-rides',
          STATE_BUCKET: { Ref: Match.stringLikeRegexp('^StorageState') },
          STATE_PREFIX: 'state/',
          AGGREGATES_DELIVERY_STREAM: { Ref: Match.stringLikeRegexp('^AggregatesDelivery') },
          LATE_DELIVERY_STREAM: { Ref: Match.stringLikeRegexp('^LateDelivery') },
          DEAD_LETTER_QUEUE_URL: { Ref: Match.stringLikeRegexp('^AggregatortaxiridesDeadLetters') },
          POWERTOOLS_SERVICE_NAME: 'tributary-aggregator',
        }),
      },
    });
  });

  it('may read and write only its own pipeline prefix of the state bucket', () => {
    app.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:PutObject']),
            Resource: Match.arrayWith([
              {
                'Fn::Join': [
                  '',
                  [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^StorageState'), 'Arn'] }, '/state/taxi-rides/*'],
                ],
              },
            ]),
          }),
        ]),
      },
    });
  });

  it('has an encrypted, TLS-only dead-letter queue keeping messages 14 days', () => {
    app.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    app.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gives the aggregator a 60 s timeout and the idle timeout it claims quiet shards against', () => {
    app.template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          IDLE_TIMEOUT_MS: '120000',
          POWERTOOLS_SERVICE_NAME: 'tributary-aggregator',
        }),
      },
    });
  });

  it('runs the idle flush every minute with the idle timeout in IDLE_TIMEOUT_MS', () => {
    app.template.resourceCountIs('AWS::Events::Rule', 3);
    app.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    app.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IDLE_TIMEOUT_MS: '120000',
          POWERTOOLS_SERVICE_NAME: 'tributary-idle-flush',
        }),
      },
    });
  });

  it('gives the idle flush only what it uses: state, its own stream to check, the aggregates and late streams and the dead-letter queue (for redriven records)', () => {
    const flushes = Object.entries(app.template.findResources('AWS::Lambda::Function')).filter(
      ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'tributary-idle-flush',
    );
    expect(flushes).toHaveLength(PIPELINES.length);
    for (const [, fn] of flushes) {
      expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
        'AGGREGATES_DELIVERY_STREAM',
        'DEAD_LETTER_QUEUE_URL',
        'IDLE_TIMEOUT_MS',
        'LATE_DELIVERY_STREAM',
        'MAX_RECORD_AGE_MS',
        'NODE_OPTIONS',
        'PIPELINE_NAME',
        'POWERTOOLS_SERVICE_NAME',
        'STATE_BUCKET',
        'STATE_PREFIX',
        'STREAM_NAME',
        'TRANSPORT',
      ]);
    }
    const policies = Object.entries(app.template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.includes('IdleFlush'),
    );
    expect(policies).toHaveLength(PIPELINES.length);
    for (const [, policy] of policies) {
      const statements = policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
      }[];
      const actions = statements.flatMap((statement) => [statement.Action].flat());
      // Dead letters only: it never takes messages from the queue.
      expect(actions.filter((action) => !/^(s3|firehose|kinesis):/.test(action)).sort()).toEqual([
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ]);
      const firehose = statements.filter((statement) =>
        [statement.Action].flat().some((a) => a.startsWith('firehose:')),
      );
      expect(JSON.stringify(firehose.map((statement) => statement.Resource))).toMatch(
        /^\[\{"Fn::GetAtt":\["AggregatesDelivery.*\{"Fn::GetAtt":\["LateDelivery/,
      );
      expect(firehose).toHaveLength(2);
    }
  });

  it('lets each idle flush check its own stream for a backlog: TRANSPORT, STREAM_NAME, MAX_RECORD_AGE_MS, no VPC', () => {
    for (const pipeline of PIPELINES) {
      const flushes = Object.values(resourcesOf('AWS::Lambda::Function', idleFlushOf(pipeline)));
      expect(flushes).toHaveLength(1);
      expect(flushes[0]?.Properties.Environment.Variables).toMatchObject({
        TRANSPORT: 'kinesis',
        STREAM_NAME: `tributary-dev-${pipeline}`,
        // The event source mapping's maximum record age (1 day by default).
        MAX_RECORD_AGE_MS: '86400000',
      });
      expect(flushes[0]?.Properties.VpcConfig).toBeUndefined();
    }
  });

  it('lets each idle flush get shard iterators and records of its own stream, and write none', () => {
    for (const pipeline of PIPELINES) {
      const statements = Object.values(resourcesOf('AWS::IAM::Policy', idleFlushOf(pipeline))).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[],
      );
      const kinesis = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kinesis:')));
      expect(kinesis).toEqual([
        {
          Effect: 'Allow',
          Action: ['kinesis:GetShardIterator', 'kinesis:GetRecords'],
          Resource: {
            'Fn::GetAtt': [expect.stringMatching(`^Transport${logicalName(pipeline)}Stream`), 'Arn'],
          },
        },
      ]);
    }
  });
});

/** The resources of a type whose logical id starts with `prefix`. */
function resourcesOf(type: string, prefix: string) {
  return Object.fromEntries(
    Object.entries(app.template.findResources(type)).filter(([id]) => id.startsWith(prefix)),
  );
}
const idleFlushOf = (pipeline: string) => `Aggregator${logicalName(pipeline)}IdleFlush`;

describe('redrive', () => {
  const redriveOf = (pipeline: string) => `Redrive${logicalName(pipeline)}Handler`;

  it('gives each pipeline a redrive with its checkpoints, dead-letter queue and stream (TRANSPORT=kinesis, nothing of Kafka, no VPC), and names it in an output', () => {
    for (const pipeline of PIPELINES) {
      const [redrive] = Object.values(resourcesOf('AWS::Lambda::Function', redriveOf(pipeline)));
      const [aggregator] = Object.values(
        resourcesOf('AWS::Lambda::Function', `Aggregator${logicalName(pipeline)}Handler`),
      );
      const shared = aggregator?.Properties.Environment.Variables ?? {};
      expect(redrive?.Properties.Environment.Variables).toEqual({
        PIPELINE_NAME: pipeline,
        STATE_BUCKET: shared.STATE_BUCKET,
        STATE_PREFIX: shared.STATE_PREFIX,
        DEAD_LETTER_QUEUE_URL: shared.DEAD_LETTER_QUEUE_URL,
        LATE_DELIVERY_STREAM: shared.LATE_DELIVERY_STREAM,
        TRANSPORT: 'kinesis',
        STREAM_NAME: `tributary-dev-${pipeline}`,
        POWERTOOLS_SERVICE_NAME: 'tributary-redrive',
        NODE_OPTIONS: expect.any(String),
      });
      expect(redrive?.Properties.Timeout).toBe(900);
      expect(redrive?.Properties.VpcConfig).toBeUndefined();
      app.template.hasOutput(`RedriveFunctionName${logicalName(pipeline)}`, {
        Value: { Ref: Match.stringLikeRegexp(`^${redriveOf(pipeline)}`) },
      });
    }
  });

  it('lets each redrive read its own stream and lineage, take, delete and send its dead letters, put to its late stream, and read and write checkpoints of its pipeline only: no window results', () => {
    for (const pipeline of PIPELINES) {
      const statements = Object.values(resourcesOf('AWS::IAM::Policy', redriveOf(pipeline))).flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
      );
      const stream = {
        'Fn::GetAtt': [expect.stringMatching(`^Transport${logicalName(pipeline)}Stream`), 'Arn'],
      };
      const kinesis = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kinesis:')));
      expect(kinesis).toEqual([
        { Effect: 'Allow', Action: ['kinesis:GetShardIterator', 'kinesis:GetRecords'], Resource: stream },
        { Effect: 'Allow', Action: 'kinesis:ListShards', Resource: stream },
      ]);
      const actions = statements.flatMap((s) => [s.Action].flat());
      expect(actions).toEqual(
        expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:SendMessage']),
      );
      expect(actions.filter((a) => /^s3:Delete/.test(a))).toEqual([]);
      expect(actions.filter((a) => /^kafka/.test(a))).toEqual([]);
      const firehose = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('firehose:')));
      expect(firehose).toEqual([
        {
          Effect: 'Allow',
          Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LateDeliveryStream/), 'Arn'] },
        },
      ]);
      const state = JSON.stringify(statements.map((s) => s.Resource));
      expect(state).toContain(`/state/${pipeline}/*`);
      for (const other of PIPELINES.filter((p) => p !== pipeline)) {
        expect(state).not.toContain(`/state/${other}/*`);
        expect(state).not.toContain(`Aggregator${logicalName(other)}DeadLetters`);
      }
    }
  });
});

describe('checkpoint check (deploy guard)', () => {
  it('gives each pipeline a Custom::PipelineStateCheck of its window, aggregations and state version', () => {
    app.template.resourceCountIs('Custom::PipelineStateCheck', PIPELINES.length);
    const taxi = getPipeline('taxi-rides').createEngine().initialState();
    app.template.hasResourceProperties('Custom::PipelineStateCheck', {
      Pipeline: 'taxi-rides',
      Window: JSON.stringify(taxi.window),
      Aggregations: JSON.stringify(taxi.aggregations),
      StateVersion: String(STATE_VERSION),
    });
  });

  it("puts each pipeline's redrive metrics and errors on the dashboard", () => {
    expectRedriveWidgets(app.template, PIPELINES);
  });

  it("updates each pipeline's aggregator, idle flush and redrive only after its check", () => {
    const checks = app.template.findResources('Custom::PipelineStateCheck');
    for (const pipeline of PIPELINES) {
      const [check] = Object.entries(checks).filter(([, r]) => r.Properties.Pipeline === pipeline);
      const writers = [
        `Aggregator${logicalName(pipeline)}Handler`,
        idleFlushOf(pipeline),
        `Redrive${logicalName(pipeline)}Handler`,
      ];
      for (const fn of writers) {
        const [function_] = Object.values(resourcesOf('AWS::Lambda::Function', fn));
        expect(function_?.DependsOn, `${fn} waits for the check of ${pipeline}`).toContain(check?.[0]);
      }
    }
  });

  it("lets the check read the pipelines' checkpoints and write nothing", () => {
    const policies = resourcesOf('AWS::IAM::Policy', 'StateChecksHandler');
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: { Action: string | string[] }) => [st.Action].flat());
    expect(actions.filter((a) => /Put|Delete|Write/.test(a))).toEqual([]);
    const resources = JSON.stringify(statements.map((st: { Resource: unknown }) => st.Resource));
    for (const pipeline of PIPELINES) expect(resources).toContain(`/state/${pipeline}/*`);
  });
});

describe('monitoring', () => {
  it('alarms on the Kinesis iterator age of each stream', () => {
    for (const pipeline of PIPELINES) {
      app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Kinesis',
        MetricName: 'GetRecords.IteratorAgeMilliseconds',
        Dimensions: [
          {
            Name: 'StreamName',
            Value: { Ref: Match.stringLikeRegexp(`^Transport${logicalName(pipeline)}Stream`) },
          },
        ],
        Threshold: 300_000,
      });
    }
  });

  it('alarms on the aggregator IteratorAge, errors and throttles per function', () => {
    for (const pipeline of PIPELINES) {
      for (const metric of ['IteratorAge', 'Errors', 'Throttles']) {
        app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [
            {
              Name: 'FunctionName',
              Value: { Ref: Match.stringLikeRegexp(`^Aggregator${logicalName(pipeline)}Handler`) },
            },
          ],
        });
      }
    }
  });

  it('alarms as soon as a dead-letter queue holds a message', () => {
    app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on Firehose freshness and failed deliveries per delivery stream', () => {
    const streams = Object.keys(app.template.findResources('AWS::KinesisFirehose::DeliveryStream')).sort();
    const watched = (props: Record<string, unknown>) =>
      Object.values(app.template.findResources('AWS::CloudWatch::Alarm', { Properties: props }))
        .map((alarm) => alarm.Properties.Dimensions[0].Value.Ref as string)
        .sort();
    expect(streams.length).toBeGreaterThan(0);
    expect(
      watched({ Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.DataFreshness', Threshold: 660 }),
    ).toEqual(streams);
    expect(
      watched({
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.Success',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
      }),
    ).toEqual(streams);
  });

  it('alarms when quiet shards stay behind (the idle flush found records not delivered in every run for 30 minutes)', () => {
    for (const pipeline of PIPELINES) {
      app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Tributary',
        MetricName: 'ShardsBehind',
        Dimensions: Match.arrayWith([
          { Name: 'pipeline', Value: pipeline },
          { Name: 'service', Value: 'tributary-idle-flush' },
        ]),
        Statistic: 'Minimum',
        Period: 900,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        DatapointsToAlarm: 2,
      });
    }
  });

  it('alarms on the late-record share from the custom metrics of each pipeline', () => {
    for (const pipeline of PIPELINES) {
      app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'IF(recordsIn > 0, late / recordsIn, 0)' }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'Tributary',
                MetricName: 'LateRecords',
                Dimensions: Match.arrayWith([{ Name: 'pipeline', Value: pipeline }]),
              },
            }),
          }),
        ]),
        Threshold: 0.01,
      });
    }
  });

  it('builds one dashboard and sends alarms nowhere when no alarm target is given', () => {
    app.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    app.template.resourceCountIs('AWS::SNS::Topic', 0);
    const alarms = Object.values(app.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.every((alarm) => alarm.Properties.AlarmActions === undefined)).toBe(true);
  });
});
