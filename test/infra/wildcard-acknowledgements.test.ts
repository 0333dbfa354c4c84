import { App, Aspects, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Storage } from '../../infra/constructs/storage.js';
import { AcknowledgeWildcards, TRIBUTARY_WILDCARDS } from '../../infra/nag/wildcard-acknowledgements.js';

function iam5Findings(app: App): string[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.map((v) => v.ruleName)
    .filter((rule) => rule.startsWith('AwsSolutions-IAM5'))
    .sort();
}

describe('AcknowledgeWildcards', () => {
  it('acknowledges grant-generated S3 wildcards on the warehouse bucket and nothing else', () => {
    // Prepare
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'S');
    const storage = new Storage(stack, 'Storage');
    const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    storage.warehouseBucket.grantReadWrite(role);
    role.addToPolicy(new PolicyStatement({ actions: ['ec2:*'], resources: ['*'] }));

    // Act
    Aspects.of(app).add(new AcknowledgeWildcards(TRIBUTARY_WILDCARDS));
    app.synth();

    // Assess
    expect(iam5Findings(app)).toEqual(['AwsSolutions-IAM5[Action::ec2:*]', 'AwsSolutions-IAM5[Resource::*]']);
  });

  it('leaves every finding when no allowance matches', () => {
    const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
    const stack = new Stack(app, 'S');
    const storage = new Storage(stack, 'Storage');
    const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    storage.warehouseBucket.grantRead(role);

    Aspects.of(app).add(new AcknowledgeWildcards([]));
    app.synth();

    expect(iam5Findings(app)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM5[Action::s3:GetObject*]',
        'AwsSolutions-IAM5[Action::s3:List*]',
      ]),
    );
  });
});

describe('TRIBUTARY_WILDCARDS', () => {
  const allowed = (finding: string) => TRIBUTARY_WILDCARDS.some((a) => a.finding.test(finding));
  const group = (cluster: string, uuid: string, name: string) =>
    `Resource::arn:<AWS::Partition>:kafka:<AWS::Region>:<AWS::AccountId>:group/${cluster}/${uuid}/${name}`;
  const UUID = '{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"TransportCluster1251B746"}]}]}';

  it("allows the MSK redrive's wildcard only on its own group prefix of the one cluster", () => {
    expect(allowed(group('tributary-dev', UUID, 'tributary-dev-taxi-rides-aggregator-redrive-*'))).toBe(true);
    // Not the mapping's groups, nor any cluster's or another cluster's redrive groups.
    for (const finding of [
      group('tributary-dev', UUID, 'tributary-dev-taxi-rides-aggregator*'),
      group('tributary-dev', UUID, 'tributary-dev-*'),
      group('tributary-dev', UUID, 'other-taxi-rides-aggregator-redrive-*'),
      group('tributary-dev', '*', 'tributary-dev-taxi-rides-aggregator-redrive-*'),
      `Resource::arn:<AWS::Partition>:kafka:<AWS::Region>:<AWS::AccountId>:topic/tributary-dev/${UUID}/tributary-dev-taxi-rides-aggregator-redrive-*`,
    ]) {
      expect(allowed(finding), finding).toBe(false);
    }
  });
});
