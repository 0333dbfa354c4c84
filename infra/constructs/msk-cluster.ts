import { ArnFormat, Fn, Stack, Validations } from 'aws-cdk-lib';
import { PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnClusterPolicy, CfnServerlessCluster } from 'aws-cdk-lib/aws-msk';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { MskNetwork } from './msk-network.js';

/** Construct id of the function CDK shares between all AwsCustomResources of a stack. */
const AWS_CUSTOM_RESOURCE_SINGLETON = 'AWS679f53fac002430cb0da5b7982bd2287';

/** Props of {@link MskCluster}. */
export interface MskClusterProps {
  /** Cluster name (1-64 letters, digits and dashes). */
  readonly clusterName: string;
  readonly network: MskNetwork;
}

/**
 * An MSK Serverless cluster with IAM access control in the network's private subnets, its SASL/IAM
 * bootstrap string, and the cluster policy Firehose needs to read it over private connectivity.
 */
export class MskCluster extends Construct {
  public readonly clusterName: string;
  /** The cluster ARN: `Ref` of the cluster, the form the local runtime resolves. */
  public readonly clusterArn: string;
  /** The SASL/IAM bootstrap brokers (`host:9098,...`), looked up at deploy time. */
  public readonly bootstrapServers: string;
  public readonly cluster: CfnServerlessCluster;
  /** Lets Firehose create its private connection to the cluster; delivery streams depend on it. */
  public readonly firehosePolicy: CfnClusterPolicy;
  private readonly uuid: string;

  constructor(scope: Construct, id: string, props: MskClusterProps) {
    super(scope, id);
    if (!/^[a-zA-Z0-9-]{1,64}$/.test(props.clusterName)) {
      throw new Error(`clusterName must be 1-64 letters, digits or dashes (given "${props.clusterName}")`);
    }
    this.clusterName = props.clusterName;
    const network = props.network;
    this.cluster = new CfnServerlessCluster(this, 'Cluster', {
      clusterName: props.clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [
        {
          subnetIds: network.vpc.selectSubnets(network.privateSubnets).subnetIds,
          securityGroups: [network.clusterSecurityGroup.securityGroupId],
        },
      ],
    });
    this.clusterArn = this.cluster.ref;
    // arn:...:cluster/<name>/<uuid>: topic and group ARNs need the uuid.
    this.uuid = Fn.select(2, Fn.split('/', this.clusterArn));

    // CloudFormation has no attribute for the brokers: ask the Kafka API once the cluster exists.
    const brokers = new AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.clusterArn },
        physicalResourceId: PhysicalResourceId.of(props.clusterName),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.clusterArn] }),
      installLatestAwsSdk: false,
    });
    this.bootstrapServers = brokers.getResponseField('BootstrapBrokerStringSaslIam');
    // The custom resource's function is a stack-wide singleton, not a child of `brokers`.
    const singleton = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON);
    if (singleton) {
      Validations.of(singleton).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "AWS's basic execution policy only lets CDK's AwsCustomResource function write its own logs.",
      });
    }

    // Firehose reads through a managed VPC connection it creates itself (Connectivity PRIVATE).
    this.firehosePolicy = new CfnClusterPolicy(this, 'FirehosePolicy', {
      clusterArn: this.clusterArn,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            principals: [new ServicePrincipal('firehose.amazonaws.com')],
            actions: [
              'kafka:CreateVpcConnection',
              'kafka:GetBootstrapBrokers',
              'kafka:DescribeCluster',
              'kafka:DescribeClusterV2',
            ],
            resources: [this.clusterArn],
          }),
        ],
      }).toJSON(),
    });
  }

  /** ARN of a topic of this cluster (`kafka-cluster:*Topic*`, `ReadData`, `WriteData`). */
  topicArn(topic: string): string {
    return this.resourceArn('topic', topic);
  }

  /** ARN of a consumer group of this cluster (`kafka-cluster:*Group`). */
  groupArn(group: string): string {
    return this.resourceArn('group', group);
  }

  private resourceArn(kind: 'topic' | 'group', name: string): string {
    return Stack.of(this).formatArn({
      service: 'kafka',
      resource: kind,
      resourceName: `${this.clusterName}/${this.uuid}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
