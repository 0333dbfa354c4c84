import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CloudAssembly,
  readLambdaFunction,
  TemplateError,
} from '../../../../local/runtime/template/index.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';

const fixtureDir = join(projectRoot, 'test', 'fixtures', 'templates', 'esm-app');

describe('CloudAssembly', () => {
  it('gives resources without a name property deterministic CloudFormation-like local names', () => {
    // Prepare
    const first = CloudAssembly.load(fixtureDir);
    const second = CloudAssembly.load(fixtureDir);

    // Act
    const stream = first.find('EsmTest/Stream', 'AWS::Kinesis::Stream');
    const queue = first.find('DeadLetters7C1E8E24');

    // Assess
    expect(stream.physicalName).toMatch(/^EsmTest-StreamF2B4C8A1-[0-9A-F]{12}$/);
    expect(second.find('EsmTest/Stream').physicalName).toBe(stream.physicalName);
    expect(stream.arn).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${stream.physicalName}`);
    expect(queue.ref).toBe(`http://127.0.0.1:4566/000000000000/${queue.physicalName}`);
  });

  it('resolves Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub and Fn::If in a function environment', () => {
    // Prepare
    const assembly = CloudAssembly.load(fixtureDir);
    const stream = assembly.find('EsmTest/Stream').physicalName;
    const queue = assembly.find('EsmTest/DeadLetters').physicalName;

    // Act
    const spec = readLambdaFunction(assembly, assembly.find('EsmTest/Recorder', 'AWS::Lambda::Function'));

    // Assess
    expect(spec.environment).toEqual({
      DEAD_LETTER_QUEUE_URL: `http://127.0.0.1:4566/000000000000/${queue}`,
      STREAM_NAME: stream,
      STREAM_ARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
      QUEUE_ARN_PARTS: `${queue}|x`,
      WHERE: `${stream}@us-east-1/s/\${Literal}`,
      REGION_KIND: 'home',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(spec).toMatchObject({
      handler: 'index.handler',
      timeoutSeconds: 10,
      memoryMb: 256,
      exportName: 'handler',
      codeDir: join(projectRoot, 'test', 'fixtures', 'handlers', 'recorder'),
      entryFile: join(projectRoot, 'test', 'fixtures', 'handlers', 'recorder', 'index.mjs'),
    });
    expect(spec.roleArn).toMatch(/^arn:aws:iam::000000000000:role\/EsmTest-RecorderServiceRole/);
  });

  it('uses an explicit name property and resolves Fn::ImportValue across stacks', () => {
    // Prepare
    const assembly = CloudAssembly.fromTemplates({
      Producer: {
        Resources: { S: { Type: 'AWS::Kinesis::Stream', Properties: { Name: 'taxi-rides' } } },
        Outputs: { O: { Value: { 'Fn::GetAtt': ['S', 'Arn'] }, Export: { Name: 'Producer:StreamArn' } } },
      },
      Consumer: {
        Resources: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
          Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': '${AWS::StackName}-dlq' } } },
          B: {
            Type: 'AWS::S3::Bucket',
            Properties: { Tags: [{ Key: 'source', Value: { 'Fn::ImportValue': 'Producer:StreamArn' } }] },
          },
        },
      },
    });

    // Act
    const tags = assembly.find('B').properties().Tags;

    // Assess
    expect(assembly.find('S').physicalName).toBe('taxi-rides');
    expect(assembly.find('Q').physicalName).toBe('Consumer-dlq');
    expect(assembly.find('B').physicalName).toMatch(/^consumer-b-[0-9a-f]{12}$/);
    expect(tags).toEqual([
      { Key: 'source', Value: 'arn:aws:kinesis:us-east-1:000000000000:stream/taxi-rides' },
    ]);
  });

  it('names the candidates when a resource is not found', () => {
    // Prepare
    const assembly = CloudAssembly.load(fixtureDir);

    // Act
    const act = () => assembly.find('Nope', 'AWS::Lambda::Function');

    // Assess
    expect(act).toThrow(TemplateError);
    expect(act).toThrow(/expected one of: EsmTest\/Recorder\/Resource/);
  });

  it('says to synthesize first when cdk.out has no manifest', () => {
    // Act
    const act = () => CloudAssembly.load(join(projectRoot, 'test', 'fixtures', 'handlers'));

    // Assess
    expect(act).toThrow(/manifest\.json not found: synthesize the CDK app first/);
  });
});
