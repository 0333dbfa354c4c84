import { describe, expect, it } from 'vitest';
import {
  isKafkaMapping,
  isKinesisMapping,
  MappingConfigError,
  readKafkaMapping,
  readKafkaMappings,
  readKinesisMapping,
} from '../../../../local/runtime/event-source-mapping/index.js';
import { CloudAssembly } from '../../../../local/runtime/template/index.js';

// The shape the MSK contract (.local/exp/msk-contract.md) asks infra to synthesize, next to a
// Kinesis mapping: one template may hold both kinds.
function app(mapping: Record<string, unknown> = {}, resources: Record<string, unknown> = {}) {
  const fn = {
    Type: 'AWS::Lambda::Function',
    Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x' },
  };
  return CloudAssembly.fromTemplates({
    Msk: {
      Resources: {
        Cluster: {
          Type: 'AWS::MSK::ServerlessCluster',
          Properties: {
            ClusterName: { 'Fn::Join': ['-', ['tributary', 'dev']] },
            ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
          },
        },
        Brokers: { Type: 'Custom::AWS', Properties: {} },
        Topic: {
          Type: 'Custom::KafkaTopic',
          Properties: {
            ClusterArn: { Ref: 'Cluster' },
            BootstrapServers: { 'Fn::GetAtt': ['Brokers', 'BootstrapBrokerStringSaslIam'] },
            TopicName: 'tributary-dev-taxi',
            NumPartitions: 4,
          },
        },
        Aggregator: fn,
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            FunctionName: { Ref: 'Aggregator' },
            EventSourceArn: { Ref: 'Cluster' },
            Topics: ['tributary-dev-taxi'],
            StartingPosition: 'TRIM_HORIZON',
            ...mapping,
          },
        },
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } },
        KinesisFn: fn,
        KinesisMapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            FunctionName: { Ref: 'KinesisFn' },
            EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] },
            StartingPosition: 'LATEST',
          },
        },
        Queue: { Type: 'AWS::SQS::Queue' },
        ...resources,
      },
    },
  });
}

const read = (mapping: Record<string, unknown> = {}) => {
  const assembly = app(mapping);
  return readKafkaMapping(assembly, assembly.find('Mapping'));
};

describe('readKafkaMapping', () => {
  it("applies Lambda's MSK defaults: batch 100, 500 ms window, infinite retries and age, enabled, group <stack>-<logicalId>", () => {
    // Act
    const config = read();

    // Assess
    expect(config).toMatchObject({
      id: 'Msk/Mapping',
      topic: 'tributary-dev-taxi',
      groupId: 'Msk-Mapping',
      enabled: true,
      batchSize: 100,
      maxBatchingWindowMs: 500,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
      onFailureDestination: undefined,
    });
    expect(config.functionResource.logicalId).toBe('Aggregator');
    expect(config.clusterArn).toMatch(
      /^arn:aws:kafka:us-east-1:000000000000:cluster\/tributary-dev\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-s1$/,
    );
    expect(read().clusterArn).toBe(config.clusterArn);
  });

  it('reads the template values (numbers as strings too); a window of 0 stays 0', () => {
    // Act
    const config = read({
      BatchSize: '250',
      MaximumBatchingWindowInSeconds: 0,
      StartingPosition: 'LATEST',
      Enabled: 'false',
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 60,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'tributary-dev-taxi-aggregator' },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
      FunctionResponseTypes: [],
    });

    // Assess
    expect(config).toMatchObject({
      batchSize: 250,
      maxBatchingWindowMs: 0,
      startingPosition: 'LATEST',
      enabled: false,
      maximumRetryAttempts: 3,
      maximumRecordAgeSeconds: 60,
      groupId: 'tributary-dev-taxi-aggregator',
      onFailureDestination: expect.stringMatching(/^arn:aws:sqs:us-east-1:000000000000:Msk-Queue-/),
    });
    expect(read({ MaximumBatchingWindowInSeconds: 300 }).maxBatchingWindowMs).toBe(300_000);
  });

  it('caps infinite retries at 10 when an on-failure destination is set, as Lambda does for Kafka', () => {
    const destination = { OnFailure: { Destination: { 'Fn::GetAtt': ['Queue', 'Arn'] } } };
    expect(read({ DestinationConfig: destination }).maximumRetryAttempts).toBe(10);
    expect(read({ DestinationConfig: destination, MaximumRetryAttempts: 2 }).maximumRetryAttempts).toBe(2);
    expect(read({ MaximumRetryAttempts: -1 }).maximumRetryAttempts).toBe(-1);
  });

  it.each([
    [{ StartingPosition: undefined }, 'StartingPosition is required'],
    [{ StartingPosition: 'AT_TIMESTAMP' }, 'AT_TIMESTAMP is not emulated'],
    [{ Topics: ['a', 'b'] }, 'exactly one topic'],
    [{ Topics: undefined }, 'exactly one topic'],
    [{ BatchSize: 0 }, 'BatchSize must be 1-10000 (given 0)'],
    [{ BatchSize: 10_001 }, 'BatchSize must be 1-10000 (given 10001)'],
    [{ MaximumBatchingWindowInSeconds: 301 }, 'MaximumBatchingWindowInSeconds must be 0-300 (given 301)'],
    [{ MaximumRetryAttempts: -2 }, 'MaximumRetryAttempts must be -1-10000 (given -2)'],
    [{ MaximumRecordAgeInSeconds: 59 }, 'MaximumRecordAgeInSeconds must be -1 or 60-604800 (given 59)'],
    [{ DestinationConfig: { OnFailure: { Destination: 'kafka://dead-letters' } } }, 'must be an SQS queue'],
    [{ AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'a b' } }, 'ConsumerGroupId must be'],
    [{ FunctionResponseTypes: ['ReportBatchItemFailures'] }, 'partial batch responses'],
    [{ BisectBatchOnFunctionError: true }, 'BisectBatchOnFunctionError is not emulated'],
    [{ FilterCriteria: { Filters: [] } }, 'FilterCriteria is not emulated'],
    [{ AmazonManagedKafkaEventSourceConfig: { SchemaRegistryConfig: {} } }, 'SchemaRegistryConfig'],
    [{ TumblingWindowInSeconds: 60 }, 'does not apply to Kafka'],
    [{ ParallelizationFactor: 2 }, 'does not apply to Kafka'],
  ])('refuses %j with a MappingConfigError naming the setting', (mapping, message) => {
    expect(() => read(mapping)).toThrow(MappingConfigError);
    expect(() => read(mapping)).toThrow(message);
  });

  it('refuses a mapping whose source is not an MSK cluster', () => {
    const assembly = app();
    expect(() => readKafkaMapping(assembly, assembly.find('KinesisMapping'))).toThrow(
      /Msk\/KinesisMapping: expected an AWS::MSK::ServerlessCluster or AWS::MSK::Cluster/,
    );
  });
});

describe('isKafkaMapping and the Kinesis reader on one template', () => {
  it('tells MSK mappings (Ref, GetAtt Arn, AWS::MSK::Cluster, literal ARN) from Kinesis ones', () => {
    // Prepare
    const msk = (arn: unknown, type = 'AWS::MSK::ServerlessCluster') =>
      app({ EventSourceArn: arn }, { Cluster: { Type: type, Properties: { ClusterName: 'c' } } }).find(
        'Mapping',
      );
    const literal =
      'arn:aws:kafka:eu-west-1:123456789012:cluster/prod/abcd1234-abcd-cafe-abab-9876543210ab-4';

    // Assess
    expect(isKafkaMapping(msk({ Ref: 'Cluster' }))).toBe(true);
    expect(isKafkaMapping(msk({ 'Fn::GetAtt': ['Cluster', 'Arn'] }))).toBe(true);
    expect(isKafkaMapping(msk({ Ref: 'Cluster' }, 'AWS::MSK::Cluster'))).toBe(true);
    expect(isKafkaMapping(msk(literal))).toBe(true);
    expect(isKafkaMapping(msk({ Ref: 'Queue' }))).toBe(false);
    expect(isKafkaMapping(app().find('KinesisMapping'))).toBe(false);
  });

  it('keeps the Kinesis mapping readable and skips the MSK one, and vice versa', () => {
    // Prepare
    const assembly = app();
    const mappings = assembly.resources('AWS::Lambda::EventSourceMapping');

    // Act
    const kinesis = mappings.filter(isKinesisMapping).map((r) => readKinesisMapping(assembly, r));
    const kafka = readKafkaMappings(assembly);

    // Assess
    expect(kinesis.map((m) => m.id)).toEqual(['Msk/KinesisMapping']);
    expect(kafka.map((m) => m.id)).toEqual(['Msk/Mapping']);
  });
});

describe('an MSK app read locally', () => {
  it("resolves the cluster's Ref to its ARN, as every reader sees it, and a custom resource's attribute to a placeholder", () => {
    // Prepare: a producer whose environment names the cluster and the bootstrap brokers, as infra sets it
    const assembly = app(
      {},
      {
        Producer: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Handler: 'index.handler',
            Runtime: 'nodejs22.x',
            Environment: {
              Variables: {
                CLUSTER_ARN: { Ref: 'Cluster' },
                KAFKA_BOOTSTRAP_SERVERS: { 'Fn::GetAtt': ['Brokers', 'BootstrapBrokerStringSaslIam'] },
              },
            },
          },
        },
      },
    );

    // Act
    const props = assembly.find('Producer').properties() as {
      Environment: { Variables: Record<string, string> };
    };
    const env = props.Environment.Variables;
    const mapping = readKafkaMapping(assembly, assembly.find('Mapping'));

    // Assess
    expect(env.CLUSTER_ARN).toBe(mapping.clusterArn);
    expect(env.CLUSTER_ARN).toMatch(
      /^arn:aws:kafka:us-east-1:000000000000:cluster\/tributary-dev\/[0-9a-f-]{36}-s1$/,
    );
    expect(env.KAFKA_BOOTSTRAP_SERVERS).toMatch(/^unresolved-locally:.*\.BootstrapBrokerStringSaslIam$/);
  });
});
