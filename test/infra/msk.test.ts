import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTributaryApp } from '../../infra/tributary-app.js';
import { ensureCfnLint, runCfnLint } from '../../local/tools/cfn-lint.js';
import {
  DEFAULT_PIPELINES,
  removeAssembly,
  SYNTH_TIMEOUT_MS,
  type SynthesizedApp,
  synthesize,
} from './build-app.js';
import { acknowledgements, unacknowledgedFindings } from './nag-findings.js';
import { expectRedriveWidgets } from './redrive-dashboard.js';

// One synthesis for the whole file, without the cdk-nag plugin so findings are returned, not thrown.
let app: SynthesizedApp;
beforeAll(async () => {
  app = await synthesize({ transport: 'msk' }, false);
}, SYNTH_TIMEOUT_MS);
afterAll(() => removeAssembly(app?.outdir));

const PIPELINES = ['taxi-rides', 'web-access-logs', 'click-sessions'];
const topicOf = (pipeline: string) => `tributary-dev-${pipeline}`;

/** The app without bundling the functions: for checks that need no function code, in a second. */
async function unbundled(context: Record<string, unknown>) {
  const built = await createTributaryApp({
    context: { pipelines: DEFAULT_PIPELINES, ...context, 'aws:cdk:bundling-stacks': [] },
    outdir: mkdtempSync(join(tmpdir(), 'tributary-infra-unbundled-')),
    nag: false,
  });
  const template = Template.fromStack(built.stack);
  removeAssembly(built.app.outdir);
  return { ...built, template };
}

const resources = (type: string, props?: unknown) =>
  app.template.findResources(type, props ? { Properties: props } : undefined);

/** The logical id of the one MSK cluster: everything refers to it with `Ref`. */
function clusterId(): string {
  const ids = Object.keys(resources('AWS::MSK::ServerlessCluster'));
  expect(ids).toHaveLength(1);
  return ids[0] ?? '';
}

/** Functions whose POWERTOOLS_SERVICE_NAME is `service`. */
const functionsOf = (service: string) =>
  Object.values(resources('AWS::Lambda::Function')).filter(
    (fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );

// vitest matchers (CDK's Match works only inside the template assertions).
const BOOTSTRAP = {
  'Fn::GetAtt': [expect.stringMatching(/^TransportClusterBootstrapBrokers/), 'BootstrapBrokerStringSaslIam'],
};
const PRIVATE_SUBNETS = [
  { Ref: expect.stringMatching(/^TransportNetworkVpcPrivateSubnet1/) },
  { Ref: expect.stringMatching(/^TransportNetworkVpcPrivateSubnet2/) },
];

describe('MSK cluster and topics', () => {
  it('creates exactly one MSK Serverless cluster with IAM auth in the private subnets', () => {
    const clusters = Object.values(resources('AWS::MSK::ServerlessCluster'));
    expect(clusters).toHaveLength(1);
    expect(clusters[0]?.Properties).toEqual({
      ClusterName: 'tributary-dev',
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      VpcConfigs: [
        {
          SubnetIds: PRIVATE_SUBNETS,
          SecurityGroups: [
            { 'Fn::GetAtt': [expect.stringMatching(/^TransportNetworkClusterSecurityGroup/), 'GroupId'] },
          ],
        },
      ],
    });
  });

  it('creates one Custom::KafkaTopic per pipeline with a literal name, 4 partitions and 24 h retention', () => {
    const topics = Object.values(resources('Custom::KafkaTopic'));
    expect(topics.map((t) => t.Properties.TopicName).sort()).toEqual(PIPELINES.map(topicOf).sort());
    for (const topic of topics) {
      expect(topic.Properties).toEqual({
        ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/ProviderframeworkonEvent/), 'Arn'] },
        ClusterArn: { Ref: clusterId() },
        BootstrapServers: BOOTSTRAP,
        TopicName: expect.stringMatching(/^tributary-dev-/),
        NumPartitions: 4,
        ReplicationFactor: 3,
        Configs: { 'retention.ms': '86400000' },
      });
    }
  });

  it('looks the SASL/IAM bootstrap brokers up with kafka:GetBootstrapBrokers on the cluster', () => {
    const [lookup] = Object.values(resources('Custom::AWS'));
    const call = JSON.stringify(lookup?.Properties.Update);
    expect(call).toContain('getBootstrapBrokers');
    expect(call).toContain(`"Ref":"${clusterId()}"`);
    expect(call).toContain('BootstrapBrokerStringSaslIam');
  });

  it('runs the topic handler (functions/handlers/kafka-topic.ts) in the VPC with KAFKA_AUTH=aws-iam', () => {
    const [handler] = functionsOf('tributary-kafka-topic');
    expect(handler?.Properties).toMatchObject({
      Handler: 'index.handler',
      Environment: { Variables: { KAFKA_AUTH: 'aws-iam' } },
      VpcConfig: { SubnetIds: PRIVATE_SUBNETS },
    });
  });

  it('admits port 9098 to the cluster from the clients and from the event source mappings only', () => {
    const ingress = Object.values(resources('AWS::EC2::SecurityGroupIngress')).filter(
      (rule) => rule.Properties.FromPort === 9098,
    );
    expect(ingress.map((rule) => rule.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).sort()).toEqual([
      expect.stringMatching(/^TransportNetworkClientSecurityGroup/),
      expect.stringMatching(/^TransportNetworkClusterSecurityGroup/),
    ]);
    for (const rule of ingress) {
      expect(rule.Properties).toMatchObject({
        IpProtocol: 'tcp',
        ToPort: 9098,
        GroupId: {
          'Fn::GetAtt': [expect.stringMatching(/^TransportNetworkClusterSecurityGroup/), 'GroupId'],
        },
      });
    }
  });

  it('gives the VPC two AZs, one NAT gateway, an S3 gateway and an SQS interface endpoint', () => {
    app.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    app.template.resourceCountIs('AWS::EC2::Subnet', 4);
    app.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
    });
    app.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.sqs'])] }),
      PrivateDnsEnabled: true,
    });
  });

  it('lets the functions in the VPC reach SQS through the endpoint (its private DNS takes their calls)', () => {
    // Prepare: the endpoint's security group, and the group every function in the VPC carries
    const [endpoint] = Object.values(
      app.template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    );
    const endpointGroup = endpoint?.Properties.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const inVpc = Object.values(app.template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.VpcConfig !== undefined,
    );
    const groups = new Set(
      inVpc.flatMap((fn) => fn.Properties.VpcConfig.SecurityGroupIds.map(JSON.stringify)),
    );

    // Act
    const sources = Object.values(app.template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((rule) => rule.Properties.GroupId['Fn::GetAtt']?.[0] === endpointGroup)
      .filter((rule) => rule.Properties.FromPort === 443)
      .map((rule) => JSON.stringify(rule.Properties.SourceSecurityGroupId));

    // Assess: the redrive and the idle flush among them, and their one group let in on 443
    expect(inVpc.map((fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME)).toEqual(
      expect.arrayContaining(['tributary-redrive', 'tributary-idle-flush']),
    );
    expect([...groups]).toHaveLength(1);
    expect(sources).toContain([...groups][0]);
  });
});

describe('producer on MSK', () => {
  it('gets TRANSPORT, STREAM_NAMES (topics), KAFKA_BOOTSTRAP_SERVERS and KAFKA_AUTH', () => {
    const [producer] = functionsOf('tributary-producer');
    const env = producer?.Properties.Environment.Variables;
    expect(env).toMatchObject({ TRANSPORT: 'msk', KAFKA_AUTH: 'aws-iam' });
    expect(JSON.parse(env.STREAM_NAMES)).toEqual(Object.fromEntries(PIPELINES.map((p) => [p, topicOf(p)])));
    expect(env.KAFKA_BOOTSTRAP_SERVERS).toEqual(BOOTSTRAP);
  });

  it('runs in the private subnets with the clients security group', () => {
    const [producer] = functionsOf('tributary-producer');
    expect(producer?.Properties.VpcConfig).toEqual({
      SubnetIds: PRIVATE_SUBNETS,
      SecurityGroupIds: [
        { 'Fn::GetAtt': [expect.stringMatching(/^TransportNetworkClientSecurityGroup/), 'GroupId'] },
      ],
    });
  });
});

describe('aggregator on MSK', () => {
  it('keeps the aggregators out of the VPC: their event source mappings reach the cluster', () => {
    const aggregators = functionsOf('tributary-aggregator');
    expect(aggregators).toHaveLength(PIPELINES.length);
    expect(aggregators.filter((fn) => fn.Properties.VpcConfig !== undefined)).toEqual([]);
  });

  it('runs the idle flushes in the private subnets with the clients security group, as the producer', () => {
    const flushes = functionsOf('tributary-idle-flush');
    expect(flushes).toHaveLength(PIPELINES.length);
    for (const flush of flushes) {
      expect(flush.Properties.VpcConfig).toEqual({
        SubnetIds: PRIVATE_SUBNETS,
        SecurityGroupIds: [
          { 'Fn::GetAtt': [expect.stringMatching(/^TransportNetworkClientSecurityGroup/), 'GroupId'] },
        ],
      });
    }
  });

  it("gives each idle flush its topic, the brokers, the mapping's group and the maximum record age for the backlog check", () => {
    for (const pipeline of PIPELINES) {
      const flush = functionsOf('tributary-idle-flush').find(
        (fn) => fn.Properties.Environment.Variables.PIPELINE_NAME === pipeline,
      );
      expect(flush?.Properties.Environment.Variables).toMatchObject({
        TRANSPORT: 'msk',
        STREAM_NAME: topicOf(pipeline),
        KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP,
        KAFKA_AUTH: 'aws-iam',
        KAFKA_CONSUMER_GROUP: `${topicOf(pipeline)}-aggregator`,
        MAX_RECORD_AGE_MS: '86400000',
      });
    }
  });

  it('reads each topic from TRIM_HORIZON in its own consumer group, whole batches retried, bounded', () => {
    const mappings = Object.values(resources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(PIPELINES.length);
    for (const pipeline of PIPELINES) {
      app.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { Ref: clusterId() },
        Topics: [topicOf(pipeline)],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 1000,
        MaximumBatchingWindowInSeconds: 5,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `${topicOf(pipeline)}-aggregator` },
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 86400,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeadLetters'), 'Arn'] } },
        },
        // Kafka mappings offer retries, record age and on-failure in provisioned mode only.
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 4 },
      });
    }
    for (const mapping of mappings) {
      expect(mapping.Properties.FunctionResponseTypes).toBeUndefined();
      expect(mapping.Properties.BisectBatchOnFunctionError).toBeUndefined();
      expect(mapping.Properties.ParallelizationFactor).toBeUndefined();
      expect(mapping.DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/^TransportTopicsTopic/)]),
      );
    }
  });

  it('alarms on the EstimatedMaxTimeLag of each aggregator group, in milliseconds', () => {
    for (const pipeline of PIPELINES) {
      app.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 300_000,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'lagSeconds * 1000' }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/Kafka',
                MetricName: 'EstimatedMaxTimeLag',
                Dimensions: Match.arrayWith([
                  { Name: 'Cluster Name', Value: 'tributary-dev' },
                  { Name: 'Consumer Group', Value: `${topicOf(pipeline)}-aggregator` },
                  { Name: 'Topic', Value: topicOf(pipeline) },
                ]),
              },
            }),
          }),
        ]),
      });
    }
  });
});

describe('redrive on MSK', () => {
  const logicalName = (pipeline: string) => pipeline.replaceAll('-', '');
  const redriveOf = (pipeline: string) =>
    functionsOf('tributary-redrive').find(
      (fn) => fn.Properties.Environment.Variables.PIPELINE_NAME === pipeline,
    );
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
  const redriveStatements = (pipeline: string): Statement[] =>
    Object.entries(resources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith(`Redrive${logicalName(pipeline)}Handler`))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
  /** `arn:...:kafka:...:<kind>/tributary-dev/<the cluster's uuid>/<name>`, as MskCluster builds it. */
  const kafkaArn = (kind: 'topic' | 'group', name: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':kafka:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${kind}/tributary-dev/`,
        { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: clusterId() }] }] },
        `/${name}`,
      ],
    ],
  });

  it('gives each pipeline a redrive with the brokers, its topic and its own consumer-group prefix, and names it in an output', () => {
    expect(functionsOf('tributary-redrive')).toHaveLength(PIPELINES.length);
    for (const pipeline of PIPELINES) {
      const redrive = redriveOf(pipeline);
      const aggregator = functionsOf('tributary-aggregator').find(
        (fn) => fn.Properties.Environment.Variables.PIPELINE_NAME === pipeline,
      );
      const shared = aggregator?.Properties.Environment.Variables ?? {};
      expect(redrive?.Properties.Environment.Variables).toEqual({
        PIPELINE_NAME: pipeline,
        STATE_BUCKET: shared.STATE_BUCKET,
        STATE_PREFIX: 'state/',
        DEAD_LETTER_QUEUE_URL: shared.DEAD_LETTER_QUEUE_URL,
        LATE_DELIVERY_STREAM: shared.LATE_DELIVERY_STREAM,
        TRANSPORT: 'msk',
        KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP,
        KAFKA_AUTH: 'aws-iam',
        // The handler reads in `${KAFKA_REDRIVE_GROUP}-<random>`, never in the mapping's group.
        KAFKA_REDRIVE_GROUP: `${topicOf(pipeline)}-aggregator-redrive`,
        STREAM_NAME: topicOf(pipeline),
        POWERTOOLS_SERVICE_NAME: 'tributary-redrive',
        NODE_OPTIONS: expect.any(String),
      });
      expect(redrive?.Properties.Timeout).toBe(900);
      app.template.hasOutput(`RedriveFunctionName${logicalName(pipeline)}`, {
        Value: { Ref: Match.stringLikeRegexp(`^Redrive${logicalName(pipeline)}Handler`) },
      });
    }
  });

  it('runs each redrive in the private subnets with the clients security group, as the idle flush', () => {
    for (const pipeline of PIPELINES) {
      expect(redriveOf(pipeline)?.Properties.VpcConfig).toEqual({
        SubnetIds: PRIVATE_SUBNETS,
        SecurityGroupIds: [
          { 'Fn::GetAtt': [expect.stringMatching(/^TransportNetworkClientSecurityGroup/), 'GroupId'] },
        ],
      });
    }
  });

  it("lets each redrive connect, read only its own topic and join only its own redrive groups: no writes, no group deletion, not the mapping's group", () => {
    for (const pipeline of PIPELINES) {
      const statements = redriveStatements(pipeline);
      const kafka = statements.filter((s) => [s.Action].flat().some((a) => /^kafka(-cluster)?:/.test(a)));
      expect(kafka).toEqual([
        { Effect: 'Allow', Action: 'kafka-cluster:Connect', Resource: { Ref: clusterId() } },
        {
          Effect: 'Allow',
          Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          Resource: kafkaArn('topic', topicOf(pipeline)),
        },
        {
          Effect: 'Allow',
          Action: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
          Resource: kafkaArn('group', `${topicOf(pipeline)}-aggregator-redrive-*`),
        },
      ]);
      const actions = statements.flatMap((s) => [s.Action].flat());
      expect(actions.filter((a) => /Write|DeleteGroup|^kinesis:|^kafka:/.test(a))).toEqual([]);
      // The rest as on Kinesis: its dead letters, its late stream, its checkpoints.
      expect(actions).toEqual(
        expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:SendMessage']),
      );
      expect(actions).toEqual(expect.arrayContaining(['firehose:PutRecord', 'firehose:PutRecordBatch']));
      expect(actions.filter((a) => /^s3:Delete/.test(a))).toEqual([]);
      const state = JSON.stringify(statements.map((s) => s.Resource));
      expect(state).toContain(`/state/${pipeline}/*`);
      for (const other of PIPELINES.filter((p) => p !== pipeline)) {
        expect(state).not.toContain(`/state/${other}/*`);
        expect(state).not.toContain(`/${topicOf(other)}"`);
      }
    }
  });

  it("puts each pipeline's redrive metrics and errors on the dashboard", () => {
    expectRedriveWidgets(app.template, PIPELINES);
  });

  it("updates each redrive only after its pipeline's checkpoint check", () => {
    const checks = resources('Custom::PipelineStateCheck');
    for (const pipeline of PIPELINES) {
      const [check] = Object.entries(checks).filter(([, r]) => r.Properties.Pipeline === pipeline);
      const [redrive] = Object.entries(resources('AWS::Lambda::Function')).filter(([id]) =>
        id.startsWith(`Redrive${logicalName(pipeline)}Handler`),
      );
      expect(redrive?.[1].DependsOn).toContain(check?.[0]);
    }
  });
});

describe('raw copy from MSK', () => {
  it('reads each topic as MSKAsSource over private connectivity, from the earliest offset', () => {
    const raw = Object.values(
      resources('AWS::KinesisFirehose::DeliveryStream', { DeliveryStreamType: 'MSKAsSource' }),
    );
    expect(raw.map((s) => s.Properties.MSKSourceConfiguration.TopicName).sort()).toEqual(
      PIPELINES.map(topicOf).sort(),
    );
    for (const stream of raw) {
      expect(stream.Properties.MSKSourceConfiguration).toEqual({
        MSKClusterARN: { Ref: clusterId() },
        TopicName: expect.any(String),
        AuthenticationConfiguration: {
          Connectivity: 'PRIVATE',
          RoleARN: { 'Fn::GetAtt': [expect.stringMatching(/^Raw\w+StreamServiceRole/), 'Arn'] },
        },
        ReadFromTimestamp: '1970-01-01T00:00:00Z',
      });
      expect(stream.Properties.KinesisStreamSourceConfiguration).toBeUndefined();
      expect(stream.DependsOn).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^TransportClusterFirehosePolicy/),
          expect.stringMatching(/^TransportTopicsTopic/),
        ]),
      );
    }
  });

  it('lets Firehose create its VPC connection through a cluster policy', () => {
    app.template.hasResourceProperties('AWS::MSK::ClusterPolicy', {
      ClusterArn: { Ref: clusterId() },
      Policy: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'firehose.amazonaws.com' },
            Action: Match.arrayWith(['kafka:CreateVpcConnection']),
            Resource: { Ref: clusterId() },
          }),
        ],
      },
    });
  });

  it('delivers to the warehouse exactly as the Kinesis raw streams do', async () => {
    // The same app on Kinesis (only the delivery streams are compared).
    const kinesis = await unbundled({});
    const destinations = (template: Template, type: string) =>
      Object.entries(
        template.findResources('AWS::KinesisFirehose::DeliveryStream', {
          Properties: { DeliveryStreamType: type },
        }),
      ).map(([id, stream]) => [id, stream.Properties.ExtendedS3DestinationConfiguration]);

    const expected = destinations(kinesis.template, 'KinesisStreamAsSource');
    expect(expected).toHaveLength(PIPELINES.length);
    expect(destinations(app.template, 'MSKAsSource')).toEqual(expected);
  });
});

describe('MSK context switches', () => {
  it('applies stage, partitions and retention to the cluster, topics and pollers', async () => {
    const { template } = await unbundled({
      stage: 'prod',
      pipelines: 'taxi-rides',
      transport: 'msk',
      partitions: '8',
      retentionHours: '72',
    });

    template.hasResourceProperties('AWS::MSK::ServerlessCluster', { ClusterName: 'tributary-prod' });
    template.hasResourceProperties('Custom::KafkaTopic', {
      TopicName: 'tributary-prod-taxi-rides',
      NumPartitions: 8,
      Configs: { 'retention.ms': String(72 * 3_600_000) },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'tributary-prod-taxi-rides-aggregator' },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 8 },
    });
    template.hasOutput('KafkaBootstrapServers', {});
    template.hasOutput('StreamNametaxirides', { Value: 'tributary-prod-taxi-rides' });
  });
});

describe('least privilege on MSK', () => {
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
  const statements = (policyId?: RegExp): Statement[] =>
    Object.entries(resources('AWS::IAM::Policy'))
      .filter(([id]) => policyId === undefined || policyId.test(id))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const actions = (s: Statement) => [s.Action].flat();
  const kafkaActions = (s: Statement) => actions(s).filter((a) => /^kafka(-cluster)?:/.test(a));

  it("grants no kafka or kafka-cluster action family and nothing Kafka on every resource; only Firehose may describe the cluster's groups, and the redrives use their own groups", () => {
    const all = statements();
    expect(all.flatMap(kafkaActions).filter((a) => a.includes('*'))).toEqual([]);
    const wildcards = all.filter(
      (s) => kafkaActions(s).length > 0 && JSON.stringify(s.Resource).includes('*'),
    );
    const isRedrive = (s: Statement) => JSON.stringify(s.Resource).includes('-aggregator-redrive-*');
    // Firehose names its consumer groups itself: DescribeGroup on the cluster's groups, nothing else.
    const firehose = wildcards.filter((s) => !isRedrive(s));
    expect(firehose.map((s) => actions(s))).toEqual(PIPELINES.map(() => ['kafka-cluster:DescribeGroup']));
    for (const s of firehose) expect(JSON.stringify(s.Resource)).toMatch(/:group\/tributary-dev\/.*\/\*"/);
    // A redrive names a fresh group per run: DescribeGroup and AlterGroup on its pipeline's prefix only.
    const redrive = wildcards.filter(isRedrive);
    expect(redrive.map((s) => actions(s))).toEqual(
      PIPELINES.map(() => ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup']),
    );
    expect(redrive.map((s) => JSON.stringify(s.Resource).match(/"\/([^"]*)"\]\]\}$/)?.[1]).sort()).toEqual(
      PIPELINES.map((p) => `${topicOf(p)}-aggregator-redrive-*`).sort(),
    );
  });

  it('lets the topic handler create, describe, reconfigure and delete its topics, never repartition them', () => {
    const handler = statements(
      /^TransportTopics.*ServiceRoleDefaultPolicy|Topic.*HandlerServiceRoleDefaultPolicy/,
    );
    expect([...new Set(handler.flatMap(kafkaActions))].sort()).toEqual([
      'kafka-cluster:AlterTopicDynamicConfiguration',
      'kafka-cluster:Connect',
      'kafka-cluster:CreateTopic',
      'kafka-cluster:DeleteTopic',
      'kafka-cluster:DescribeTopic',
    ]);
  });

  it('keeps `*` resources to the EC2 network-interface actions of the event source mappings', () => {
    const everywhere = statements().filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(everywhere.length).toBeGreaterThan(0);
    expect([...new Set(everywhere.flatMap(actions))].sort()).toEqual([
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcs',
    ]);
  });

  it('lets the producer connect and write (idempotently) to its topics, nothing more of Kafka', () => {
    const producer = statements(/^ProducerHandlerFunctionServiceRoleDefaultPolicy/);
    const kafka = producer.filter((s) => kafkaActions(s).length > 0);
    expect([...new Set(kafka.flatMap(kafkaActions))].sort()).toEqual([
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:WriteData',
      'kafka-cluster:WriteDataIdempotently',
    ]);
    const topicStatements = kafka.filter((s) => actions(s).includes('kafka-cluster:WriteData'));
    expect(topicStatements).toHaveLength(PIPELINES.length);
    for (const s of topicStatements) expect(JSON.stringify(s.Resource)).toMatch(/:topic\/tributary-dev\//);
    const onCluster = kafka.find((s) => actions(s).includes('kafka-cluster:Connect'));
    expect(onCluster?.Resource).toEqual({ Ref: clusterId() });
    expect(onCluster ? actions(onCluster) : []).toContain('kafka-cluster:WriteDataIdempotently');
  });

  it("lets each idle flush connect, describe only its own topic (Metadata, ListOffsets) and its mapping's group (OffsetFetch), nothing else of Kafka", () => {
    for (const pipeline of PIPELINES) {
      const flush = statements(
        new RegExp(`^Aggregator${pipeline.replaceAll('-', '')}IdleFlushFunctionServiceRoleDefaultPolicy`),
      );
      const kafka = flush.filter((s) => kafkaActions(s).length > 0);
      expect(kafka.map((s) => [actions(s), s.Resource])).toEqual([
        [['kafka-cluster:Connect'], { Ref: clusterId() }],
        [['kafka-cluster:DescribeTopic'], expect.anything()],
        [['kafka-cluster:DescribeGroup'], expect.anything()],
      ]);
      expect(JSON.stringify(kafka[1]?.Resource)).toMatch(
        new RegExp(`:topic/tributary-dev/.*"/${topicOf(pipeline)}"`),
      );
      expect(JSON.stringify(kafka[2]?.Resource)).toMatch(
        new RegExp(`:group/tributary-dev/.*"/${topicOf(pipeline)}-aggregator"`),
      );
      expect(flush.flatMap(actions).filter((a) => a.startsWith('kinesis:'))).toEqual([]);
    }
  });

  it('lets each aggregator read only its topic and use only its consumer group', () => {
    const aggregator = statements(/^AggregatortaxiridesHandlerFunctionServiceRoleDefaultPolicy/);
    const resourceOf = (action: string) =>
      JSON.stringify(aggregator.find((s) => actions(s).includes(action))?.Resource);
    expect(resourceOf('kafka-cluster:ReadData')).toMatch(
      /:topic\/tributary-dev\/.*"\/tributary-dev-taxi-rides"/,
    );
    expect(resourceOf('kafka-cluster:AlterGroup')).toMatch(
      /:group\/tributary-dev\/.*"\/tributary-dev-taxi-rides-aggregator"/,
    );
    expect(resourceOf('kafka-cluster:Connect')).toBe(JSON.stringify({ Ref: clusterId() }));
  });
});

describe('cdk-nag and cfn-lint on MSK', () => {
  it('reports zero unacknowledged AwsSolutions findings', () => {
    const findings = unacknowledgedFindings(app.app);

    expect(findings).toEqual([]);
  });

  it('gives every acknowledgement a reason and leaves no error or warning annotation', () => {
    expect(acknowledgements(app.app).filter((a) => a.reason.trim().length < 30)).toEqual([]);
    const annotations = Annotations.fromStack(app.stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('passes cfn-lint without errors', async () => {
    ensureCfnLint();

    const findings = await runCfnLint([join(app.outdir, `${app.stack.artifactId}.template.json`)], {
      regions: ['us-east-1', 'eu-west-1'],
    });

    expect(findings.filter((f) => f.level === 'Error')).toEqual([]);
  }, 300_000);
});
