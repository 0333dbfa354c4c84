import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

/**
 * CDK's custom resource provider framework in front of one of Tributary's handlers, as every
 * `Custom::` resource of the app has it: the framework's logs kept a month, and cdk-nag told why
 * its function may have AWS's basic execution policy.
 */
export function handlerProvider(scope: Construct, onEventHandler: IFunction): Provider {
  const provider = new Provider(scope, 'Provider', {
    onEventHandler,
    logGroup: new LogGroup(scope, 'ProviderLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });
  Validations.of(provider).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: "AWS's basic execution policy only lets CDK's provider framework function write its own logs.",
  });
  return provider;
}
