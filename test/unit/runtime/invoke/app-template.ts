import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const fn = (path: string, env: Record<string, unknown> = {}, handler = 'index.handler') => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    Handler: handler,
    Runtime: 'nodejs22.x',
    Environment: { Variables: env },
    Code: { S3Key: `${'a'.repeat(64)}.zip` },
  },
  Metadata: { 'aws:cdk:path': `App/${path}/Resource` },
});

/**
 * A small app shaped like Tributary's synthesized stack: a producer behind a function URL, an
 * aggregator on a Kinesis mapping, an idle flush on a schedule, and the resources they name.
 */
export const appTemplate = {
  Resources: {
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'app-orders', ShardCount: 2 } },
    OtherStream: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'app-unused' } },
    State: { Type: 'AWS::S3::Bucket', Properties: {} },
    Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
    Producer: fn('Producer/Handler/Function', { STREAM_NAMES: '{"orders":"app-orders"}' }),
    ProducerUrl: {
      Type: 'AWS::Lambda::Url',
      Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: { 'Fn::GetAtt': ['Producer', 'Arn'] } },
    },
    Aggregator: fn('Aggregator-orders/Handler/Function', {
      STATE_BUCKET: { Ref: 'State' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'Dlq' },
    }),
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: { Ref: 'Aggregator' },
        EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] },
        BatchSize: 500,
        StartingPosition: 'TRIM_HORIZON',
      },
    },
    IdleFlush: fn('Aggregator-orders/IdleFlush/Function', { STATE_BUCKET: { Ref: 'State' } }),
    Thrower: fn('Thrower/Function', {}, 'index.thrower'),
    Schedule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Id: 'T', Arn: { 'Fn::GetAtt': ['IdleFlush', 'Arn'] } }],
      },
    },
  },
};

/** Writes {@link appTemplate} as a cloud assembly folder (manifest + template + empty asset). */
export function writeAppAssembly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'invoke-app-'));
  writeFileSync(join(dir, 'App.template.json'), JSON.stringify(appTemplate));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      version: '48.0.0',
      artifacts: {
        App: { type: 'aws:cloudformation:stack', properties: { templateFile: 'App.template.json' } },
      },
    }),
  );
  mkdirSync(join(dir, `asset.${'a'.repeat(64)}`));
  writeFileSync(
    join(dir, `asset.${'a'.repeat(64)}`, 'index.mjs'),
    [
      'export const handler = async (event) => ({ got: event });',
      "export const thrower = async () => { throw new TypeError('boom: expected a Kinesis event'); };",
      '',
    ].join('\n'),
  );
  return dir;
}
