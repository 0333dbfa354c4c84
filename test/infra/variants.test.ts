import { join } from 'node:path';
import { App, type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DeliveryStream, S3Bucket } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from '../../infra/constructs/aggregator.js';
import { KinesisTransport } from '../../infra/constructs/kinesis-transport.js';
import { MskCluster } from '../../infra/constructs/msk-cluster.js';
import { MskNetwork } from '../../infra/constructs/msk-network.js';
import { MskTransport } from '../../infra/constructs/msk-transport.js';
import { PartitionedDelivery } from '../../infra/constructs/partitioned-delivery.js';
import type { StreamTransport } from '../../infra/constructs/stream-transport.js';
import { ensureCfnLint, runCfnLint } from '../../local/tools/cfn-lint.js';
import { removeAssembly, SYNTH_TIMEOUT_MS, type SynthesizedApp, synthesize } from './build-app.js';

describe('context switches', () => {
  let app: SynthesizedApp;
  beforeAll(async () => {
    app = await synthesize({
      stage: 'prod',
      pipelines: 'taxi-rides',
      streamMode: 'provisioned',
      shardCount: '4',
      retentionHours: '72',
      bufferingIntervalSeconds: '60',
      bufferingSizeMiB: '64',
      alarmEmail: 'oncall@example.com',
      warehouseStartDate: '1995-07-01',
    });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => removeAssembly(app?.outdir));

  it('provisions the shard count and retention given', () => {
    app.template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'tributary-prod-taxi-rides',
      ShardCount: 4,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      RetentionPeriodHours: 72,
    });
  });

  it('applies the buffering hints to every delivery stream', () => {
    const streams = Object.values(app.template.findResources('AWS::KinesisFirehose::DeliveryStream'));
    expect(streams).toHaveLength(3);
    for (const stream of streams) {
      expect(stream.Properties.ExtendedS3DestinationConfiguration.BufferingHints).toEqual({
        IntervalInSeconds: 60,
        SizeInMBs: 64,
      });
    }
  });

  it('starts every date projection of the warehouse tables at warehouseStartDate', () => {
    const tables = Object.values(app.template.findResources('AWS::Glue::Table'));
    const ranges = tables.flatMap((table) =>
      Object.entries(table.Properties.TableInput.Parameters as Record<string, string>)
        .filter(([name]) => name.endsWith('_date.range'))
        .map(([, range]) => range),
    );
    expect(ranges).toEqual(['1995-07-01,NOW', '1995-07-01,NOW', '1995-07-01,NOW']);
  });

  it('sends alarms to an encrypted SNS topic with the e-mail subscribed', () => {
    app.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    app.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmTopic') }],
    });
  });

  it('passes cfn-lint without errors (SNS topic, KMS key, provisioned streams included)', async () => {
    ensureCfnLint();

    const findings = await runCfnLint([join(app.outdir, `${app.stack.artifactId}.template.json`)]);

    expect(findings.filter((f) => f.level === 'Error')).toEqual([]);
  }, 300_000);

  it('names the stack, database and workgroup after the stage', () => {
    expect(app.stack.stackName).toBe('Tributary-prod');
    app.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'tributary_prod' } });
    app.template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'tributary-prod' });
  });
});

describe('construct props', () => {
  // Functions are not bundled (checks happen before, templates are read for their settings only),
  // so these stacks cost nothing to build.
  const fixture = (
    transportIn: (stack: Stack) => StreamTransport = (stack) =>
      new KinesisTransport(stack, 'Transport', { namePrefix: 't' }),
  ) => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    Validations.of(stack).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: 'Not under test: the CIDR mapping the Firehose L2 adds, as TributaryStack acknowledges it.',
    });
    const bucket = new Bucket(stack, 'Bucket');
    const delivery = new DeliveryStream(stack, 'Delivery', { destination: new S3Bucket(bucket) });
    const transport = transportIn(stack);
    const props = {
      pipeline: 'taxi-rides',
      stream: transport.streamFor('taxi-rides'),
      streamClient: transport.clientConfig(),
      stateBucket: bucket,
      aggregatesDelivery: delivery,
      lateDelivery: delivery,
    };
    return { stack, bucket, props, transport };
  };

  it('refuses a parallelization factor above 1, quoting it', () => {
    const { stack, props } = fixture();

    expect(() => new Aggregator(stack, 'Agg', { ...props, parallelizationFactor: 4 })).toThrow(
      /parallelizationFactor must be 1.*\(given 4\)/,
    );
  });

  it.each([
    [{ batchSize: 0 }, /batchSize must be 1-10000 \(given 0\)/],
    [{ maxBatchingWindow: Duration.seconds(301) }, /maxBatchingWindow must be at most 300 s \(given 301\)/],
    [{ maxRecordAge: Duration.days(8) }, /maxRecordAge must be 60 s to 7 days.*\(given 691200\)/],
    [{ statePrefix: 'state' }, /statePrefix must be empty or end in "\/" \(given "state"\)/],
    [
      { timeout: Duration.minutes(5) },
      /idleTimeout must be at least the aggregator timeout \+ 30 s .*\(given \[120,300\]\)/,
    ],
  ])('refuses aggregator props %j', (bad, message) => {
    const { stack, props } = fixture();

    expect(() => new Aggregator(stack, 'Agg', { ...props, ...bad })).toThrow(message);
  });

  it.each([
    ['kinesis', (stack: Stack) => new KinesisTransport(stack, 'Transport', { namePrefix: 't' })],
    ['msk', (stack: Stack) => new MskTransport(stack, 'Transport', { namePrefix: 't' })],
  ])("gives the %s idle flush the aggregator's maxRecordAge in MAX_RECORD_AGE_MS", (_, transportIn) => {
    const { stack, props, transport } = fixture(transportIn);

    const aggregator = new Aggregator(stack, 'Agg', { ...props, maxRecordAge: Duration.hours(6) });

    const template = Template.fromStack(stack);
    const flushId = stack.getLogicalId(aggregator.idleFlushFunction.node.defaultChild as CfnElement);
    expect(template.toJSON().Resources[flushId].Properties.Environment.Variables).toMatchObject({
      TRANSPORT: transport.kind,
      STREAM_NAME: 't-taxi-rides',
      MAX_RECORD_AGE_MS: String(6 * 3_600_000),
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRecordAgeInSeconds: 6 * 3600,
    });
  });

  it('refuses a stream retention outside 24 h - 365 days', () => {
    const stack = new Stack();

    expect(
      () => new KinesisTransport(stack, 'T', { namePrefix: 't', retention: Duration.hours(12) }),
    ).toThrow(/retention must be .* 24 to 8760 \(given 12\)/);
  });

  it.each([0, 1001, 2.5])('refuses %s partitions per MSK topic', (partitions) => {
    const stack = new Stack();

    expect(() => new MskTransport(stack, 'T', { namePrefix: 't', partitions })).toThrow(
      new RegExp(`partitions must be an integer from 1 to 1000 \\(given ${partitions}\\)`),
    );
  });

  it('refuses an MSK cluster name MSK would reject', () => {
    const stack = new Stack();
    const network = new MskNetwork(stack, 'N');

    expect(() => new MskCluster(stack, 'C', { clusterName: 'tributary_dev', network })).toThrow(
      /clusterName must be 1-64 letters, digits or dashes \(given "tributary_dev"\)/,
    );
  });

  it('refuses a prefix whose partition keys differ from the JQ queries given', () => {
    const { stack, bucket } = fixture();

    expect(
      () =>
        new PartitionedDelivery(stack, 'D', {
          bucket,
          prefix: 'x/day=!{partitionKeyFromQuery:day}/',
          partitionKeys: { date: '.ts' },
          errorOutputPrefix: 'errors/x/',
        }),
    ).toThrow(/use exactly the partitionKeys \(given prefix "x\/day=.*" with keys \["date"\]\)/);
  });
});
