import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { handlerProvider } from './handler-provider.js';
import type { MskCluster } from './msk-cluster.js';
import type { MskNetwork } from './msk-network.js';
import { TributaryFunction } from './tributary-function.js';

/** MSK Serverless keeps three replicas of every partition, and accepts no other factor. */
export const MSK_SERVERLESS_REPLICATION = 3;

/** One topic to create. */
export interface KafkaTopicProps {
  readonly topicName: string;
  readonly partitions: number;
  /** Topic configuration, e.g. `{ 'retention.ms': '86400000' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** Props of {@link KafkaTopics}. */
export interface KafkaTopicsProps {
  readonly cluster: MskCluster;
  readonly network: MskNetwork;
}

/**
 * The topics of an MSK Serverless cluster, which CloudFormation has no resource for: each one a
 * `Custom::KafkaTopic` whose provider runs `functions/handlers/kafka-topic.ts` in the VPC.
 */
export class KafkaTopics extends Construct {
  public readonly provider: Provider;
  private readonly handler: TributaryFunction;
  private readonly cluster: MskCluster;

  constructor(scope: Construct, id: string, props: KafkaTopicsProps) {
    super(scope, id);
    this.cluster = props.cluster;
    this.handler = new TributaryFunction(this, 'Handler', {
      entry: 'functions/handlers/kafka-topic.ts',
      description: 'Tributary Custom::KafkaTopic: creates, grows and deletes the pipeline topics',
      memorySize: 256,
      timeout: Duration.minutes(2),
      environment: { KAFKA_AUTH: 'aws-iam', POWERTOOLS_SERVICE_NAME: 'tributary-kafka-topic' },
      network: props.network.clientNetwork(),
    });
    this.handler.function.addToRolePolicy(
      new PolicyStatement({ actions: ['kafka-cluster:Connect'], resources: [props.cluster.clusterArn] }),
    );
    this.provider = handlerProvider(this, this.handler.function);
  }

  /** Creates a topic; it is deleted with the stack. The handler may manage only these topics. */
  addTopic(id: string, props: KafkaTopicProps): CustomResource {
    const topicArn = this.cluster.topicArn(props.topicName);
    this.handler.function.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'kafka-cluster:CreateTopic',
          'kafka-cluster:DescribeTopic',
          // Configs (retention) follow the stack; partitions never change (see topic-admin.ts).
          'kafka-cluster:AlterTopicDynamicConfiguration',
          'kafka-cluster:DeleteTopic',
        ],
        resources: [topicArn],
      }),
    );
    return new CustomResource(this, id, {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::KafkaTopic',
      properties: {
        ClusterArn: this.cluster.clusterArn,
        BootstrapServers: this.cluster.bootstrapServers,
        TopicName: props.topicName,
        NumPartitions: props.partitions,
        ReplicationFactor: MSK_SERVERLESS_REPLICATION,
        ...(props.configs ? { Configs: props.configs } : {}),
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
