import { Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISource } from 'aws-cdk-lib/aws-kinesisfirehose';
import { type IEventSource, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct, IDependable } from 'constructs';
import type { MskCluster } from './msk-cluster.js';
import type { ConsumerOptions } from './stream-transport.js';

/** What both readers of a topic need to know. */
export interface TopicRef {
  readonly cluster: MskCluster;
  readonly topicName: string;
  /** The `Custom::KafkaTopic`: readers are created after it, so the topic exists when they start. */
  readonly topic: IDependable;
}

/**
 * The aggregator's MSK event source mapping, with the least privilege it needs (instead of
 * `ManagedKafkaEventSource`, which attaches AWSLambdaMSKExecutionRole: kafka:* APIs on every cluster).
 */
export class MskEventSource implements IEventSource {
  constructor(
    private readonly ref: TopicRef,
    private readonly consumerGroupId: string,
    private readonly options: ConsumerOptions,
    /** Upper bound of provisioned pollers. */
    private readonly maximumPollers: number,
  ) {}

  bind(target: IFunction): void {
    const { cluster, topicName } = this.ref;
    const o = this.options;
    const mapping = target.addEventSourceMapping(`MskEventSource${topicName}`, {
      eventSourceArn: cluster.clusterArn,
      kafkaTopic: topicName,
      kafkaConsumerGroupId: this.consumerGroupId,
      // Every record of the topic matters to the windows: start from the oldest one kept.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: o.batchSize,
      maxBatchingWindow: o.maxBatchingWindow,
      // No partial batch responses and no bisection: the aggregator throws on a retriable failure
      // and Lambda retries the whole batch; partitions already applied are skipped by their
      // checkpoints. Bounded retries, a maximum record age and the SQS on-failure destination are
      // Kafka error-handling controls that Lambda offers in provisioned mode only (Lambda docs,
      // "Configuring error handling controls for Kafka event sources": "select provisioned mode to
      // configure error handling controls"; the CLI example sets --provisioned-poller-config).
      retryAttempts: o.retryAttempts,
      maxRecordAge: o.maxRecordAge,
      onFailure: new SqsDlq(o.onFailure),
      provisionedPollerConfig: {
        minimumPollers: 1,
        // Kafka gives each partition to one consumer of a group: more pollers would idle.
        maximumPollers: this.maximumPollers,
      },
    });
    mapping.node.addDependency(this.ref.topic);

    target.addToRolePolicy(
      new PolicyStatement({
        actions: ['kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
        resources: [cluster.clusterArn],
      }),
    );
    target.addToRolePolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
        resources: [cluster.clusterArn],
      }),
    );
    target.addToRolePolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [cluster.topicArn(topicName)],
      }),
    );
    target.addToRolePolicy(
      new PolicyStatement({
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [cluster.groupArn(this.consumerGroupId)],
      }),
    );
    // Lambda creates the mapping's network interfaces in the cluster's subnets with the function's
    // role. A policy of its own, so the acknowledgement below covers these actions only.
    if (target.role) {
      const network = new Policy(target, 'MskEventSourceNetwork', {
        roles: [target.role],
        statements: [
          new PolicyStatement({
            actions: [
              'ec2:CreateNetworkInterface',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DeleteNetworkInterface',
              'ec2:DescribeVpcs',
              'ec2:DescribeSubnets',
              'ec2:DescribeSecurityGroups',
            ],
            resources: ['*'],
          }),
        ],
      });
      Validations.of(network).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The network interfaces Lambda creates for an MSK event source mapping are not known in advance, ' +
          'and the EC2 Describe actions have no resource-level permissions (as in AWSLambdaMSKExecutionRole).',
      });
      mapping.node.addDependency(network);
    }
  }
}

/**
 * A Firehose delivery stream's MSK source, read over private connectivity with the delivery
 * stream's role. `PartitionedDelivery` sets the stream type to MSKAsSource.
 */
export class MskFirehoseSource implements ISource {
  constructor(private readonly ref: TopicRef) {}

  grantRead(grantee: IGrantable): Grant {
    const { cluster, topicName } = this.ref;
    const clusterGrant = Grant.addToPrincipal({
      grantee,
      actions: [
        'kafka:GetBootstrapBrokers',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
        'kafka-cluster:Connect',
      ],
      resourceArns: [cluster.clusterArn],
    });
    return clusterGrant
      .combine(
        Grant.addToPrincipal({
          grantee,
          actions: [
            'kafka-cluster:DescribeTopic',
            'kafka-cluster:DescribeTopicDynamicConfiguration',
            'kafka-cluster:ReadData',
          ],
          resourceArns: [cluster.topicArn(topicName)],
        }),
      )
      .combine(
        // Firehose reads with consumer groups of its own naming: AWS's MSK-to-Firehose samples grant
        // DescribeGroup on the cluster's groups (unverified without a deploy; without it raw/ stays empty).
        Grant.addToPrincipal({
          grantee,
          actions: ['kafka-cluster:DescribeGroup'],
          resourceArns: [cluster.groupArn('*')],
        }),
      );
  }

  /** @internal */
  _bind(scope: Construct, roleArn?: string) {
    if (!roleArn) throw new Error('an MSK source needs the delivery stream role (given none)');
    scope.node.addDependency(this.ref.topic, this.ref.cluster.firehosePolicy);
    return {
      mskSourceConfiguration: {
        mskClusterArn: this.ref.cluster.clusterArn,
        topicName: this.ref.topicName,
        authenticationConfiguration: { connectivity: 'PRIVATE', roleArn },
        // Firehose starts at the time it becomes active unless told otherwise; the epoch means the
        // earliest offset, so records written before the stream existed reach the warehouse too.
        readFromTimestamp: '1970-01-01T00:00:00Z',
      },
    };
  }
}
