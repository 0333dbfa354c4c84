import { RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionNetwork } from './tributary-function.js';

/** The port of MSK's SASL/IAM listener. */
export const MSK_IAM_PORT = 9098;

/**
 * The VPC an MSK Serverless cluster lives in: two AZs of private subnets with egress through one
 * NAT gateway, an S3 gateway endpoint, an SQS interface endpoint, rejected traffic in flow logs, and
 * two security groups: the cluster's, and its clients' (the producer, the idle flushes and the topic
 * handler).
 */
export class MskNetwork extends Construct {
  public readonly vpc: Vpc;
  public readonly privateSubnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
  /** On the cluster's endpoints, and on the event source mapping's network interfaces (Lambda uses the cluster's). */
  public readonly clusterSecurityGroup: SecurityGroup;
  /** For functions that talk to the brokers. */
  public readonly clientSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      // One NAT gateway: the event source mapping needs Lambda and STS, which a NAT reaches; a
      // second one would only add availability to a dev-sized deployment.
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } },
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
      trafficType: FlowLogTrafficType.REJECT,
    });
    this.clientSecurityGroup = new SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: this.vpc,
      description: 'Tributary Kafka clients (producer, topic handler)',
    });
    this.clusterSecurityGroup = new SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc: this.vpc,
      description: 'Tributary MSK Serverless cluster and its Lambda event source mappings',
    });
    this.clusterSecurityGroup.addIngressRule(
      this.clientSecurityGroup,
      Port.tcp(MSK_IAM_PORT),
      'Kafka clients, SASL/IAM',
    );
    this.clusterSecurityGroup.addIngressRule(
      this.clusterSecurityGroup,
      Port.tcp(MSK_IAM_PORT),
      'Lambda event source mappings (their interfaces carry this group), SASL/IAM',
    );

    // Lambda sends the mapping's on-failure records from the cluster's VPC, through an endpoint
    // of the destination's service (Lambda docs, "Capturing discarded batches ... Kafka"). With its
    // private DNS, the functions in the VPC reach SQS through it too: the idle flush and the
    // redrive send dead letters, and the redrive takes the mapping's on-failure records.
    const endpointSecurityGroup = new SecurityGroup(this, 'SqsEndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Tributary SQS endpoint: on-failure records and dead letters from the VPC',
    });
    endpointSecurityGroup.addIngressRule(this.clusterSecurityGroup, Port.tcp(443), 'Event source mappings');
    endpointSecurityGroup.addIngressRule(
      this.clientSecurityGroup,
      Port.tcp(443),
      'Functions in the VPC: idle flush, redrive',
    );
    this.vpc.addInterfaceEndpoint('Sqs', {
      service: InterfaceVpcEndpointAwsService.SQS,
      subnets: this.privateSubnets,
      securityGroups: [endpointSecurityGroup],
      open: false,
    });
  }

  /** Where a function that talks to the brokers runs. */
  clientNetwork(): FunctionNetwork {
    return {
      vpc: this.vpc,
      vpcSubnets: this.privateSubnets,
      securityGroups: [this.clientSecurityGroup],
    };
  }
}
