import { createHash } from 'node:crypto';
import type { LocalAwsContext } from './local-context.js';

/** What `Ref` and `Fn::GetAtt` return for one resource, given its local physical name. */
interface TypeRule {
  /** The property that names the resource explicitly (StreamName, BucketName, ...). */
  readonly nameProperty?: string;
  readonly maxLength: number;
  /** S3 bucket names: lowercase letters, digits, hyphens. */
  readonly lowercase?: boolean;
  /** The ARN of a resource named `name`, without the `arn:<partition>:` prefix. */
  readonly arn?: (name: string, ctx: LocalAwsContext) => string;
  /** What `Ref` returns, when it is not the name. */
  readonly ref?: (name: string, ctx: LocalAwsContext) => string;
  readonly attributes?: Readonly<Record<string, (name: string, ctx: LocalAwsContext) => string>>;
}

const regional =
  (service: string, resource: (name: string) => string) => (name: string, ctx: LocalAwsContext) =>
    `${service}:${ctx.region}:${ctx.accountId}:${resource(name)}`;

const queueUrl = (name: string, ctx: LocalAwsContext) => `${ctx.endpoint}/${ctx.accountId}/${name}`;

/**
 * The resource types whose names and attributes the local runtime needs. CloudFormation's return
 * values for each are documented per type ("Return values" of the resource's reference page).
 */
const RULES: Readonly<Record<string, TypeRule>> = {
  'AWS::Kinesis::Stream': {
    nameProperty: 'Name',
    maxLength: 128,
    arn: regional('kinesis', (n) => `stream/${n}`),
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    maxLength: 63,
    lowercase: true,
    arn: (n) => `s3:::${n}`,
    attributes: {
      DomainName: (n) => `${n}.s3.amazonaws.com`,
      RegionalDomainName: (n, ctx) => `${n}.s3.${ctx.region}.amazonaws.com`,
    },
  },
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    maxLength: 80,
    arn: regional('sqs', (n) => n),
    ref: queueUrl,
    attributes: { QueueName: (n) => n, QueueUrl: queueUrl },
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    maxLength: 64,
    arn: regional('lambda', (n) => `function:${n}`),
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    nameProperty: 'DeliveryStreamName',
    maxLength: 64,
    arn: regional('firehose', (n) => `deliverystream/${n}`),
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    maxLength: 64,
    arn: (n, ctx) => `iam::${ctx.accountId}:role/${n}`,
    attributes: { RoleId: (n) => `AROA${hash(n, 17).toUpperCase()}` },
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    maxLength: 512,
    arn: regional('logs', (n) => `log-group:${n}:*`),
  },
  'AWS::Events::Rule': { nameProperty: 'Name', maxLength: 64, arn: regional('events', (n) => `rule/${n}`) },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    maxLength: 256,
    arn: regional('sns', (n) => n),
    ref: (n, ctx) => `arn:${ctx.partition}:sns:${ctx.region}:${ctx.accountId}:${n}`,
    attributes: { TopicName: (n) => n },
  },
  'AWS::KMS::Key': {
    maxLength: 36,
    arn: regional('kms', (n) => `key/${n}`),
    attributes: { KeyId: (n) => n },
  },
  // Ref is the cluster's ARN; its last part is a UUID AWS assigns, hashed from the name here.
  'AWS::MSK::ServerlessCluster': {
    nameProperty: 'ClusterName',
    maxLength: 64,
    arn: regional('kafka', (n) => `cluster/${n}/${uuid(n)}-s1`),
    ref: (n, ctx) => `arn:${ctx.partition}:kafka:${ctx.region}:${ctx.accountId}:cluster/${n}/${uuid(n)}-s1`,
  },
  // A function in a VPC (on MSK) names its security group in VpcConfig. There is no VPC locally:
  // the id only has to resolve, so that the function's properties can be read.
  'AWS::EC2::SecurityGroup': {
    maxLength: 255,
    ref: (n) => `sg-${hash(n, 17)}`,
    attributes: { GroupId: (n) => `sg-${hash(n, 17)}` },
  },
  'AWS::Glue::Database': { nameProperty: 'DatabaseInput.Name', maxLength: 255, lowercase: true },
  'AWS::Athena::WorkGroup': { nameProperty: 'Name', maxLength: 128 },
};

/**
 * The name a resource gets locally: its explicit name property when the template sets one, else a
 * name built the way CloudFormation builds one (`<stack>-<logicalId>-<suffix>`), with a suffix
 * hashed from stack and logical id instead of a random one, so every run and every reader (the
 * provisioning, the runners, the tests) arrives at the same name.
 */
export function physicalName(
  type: string,
  stackName: string,
  logicalId: string,
  resolveProperty: (path: string) => unknown,
): string {
  const rule = RULES[type];
  const explicit = rule?.nameProperty ? resolveProperty(rule.nameProperty) : undefined;
  if (typeof explicit === 'string' && explicit !== '') return explicit;
  const maxLength = rule?.maxLength ?? 128;
  const suffix = hash(`${stackName}/${logicalId}`, 12);
  // Like CloudFormation: shorten stack name and logical id, never the unique suffix.
  const room = maxLength - suffix.length - 2;
  const stackPart = stackName.slice(0, Math.max(1, Math.floor(room / 2)));
  const idPart = logicalId.slice(0, room - stackPart.length);
  const name = `${stackPart}-${idPart}-${suffix.toUpperCase()}`;
  return rule?.lowercase ? name.toLowerCase().replace(/[^a-z0-9-]/g, '-') : name;
}

/** `Ref` of a resource: the physical name, or what its type returns instead (an SQS queue's URL). */
export function refValue(type: string, name: string, ctx: LocalAwsContext): string {
  return RULES[type]?.ref?.(name, ctx) ?? name;
}

/**
 * `Fn::GetAtt` of a resource. `Arn` works for every type (a generic ARN for types without a rule);
 * other attributes only where the table knows them: undefined otherwise. A custom resource's
 * attributes come from its handler, which does not run locally: they read as a placeholder that
 * names them (the local runtime overrides what it must, e.g. KAFKA_BOOTSTRAP_SERVERS).
 */
export function attributeValue(
  type: string,
  name: string,
  attribute: string,
  ctx: LocalAwsContext,
): string | undefined {
  const rule = RULES[type];
  if (attribute === 'Arn') {
    const tail = rule?.arn?.(name, ctx) ?? genericArn(type, name, ctx);
    return `arn:${ctx.partition}:${tail}`;
  }
  if (type.startsWith('Custom::')) return `unresolved-locally:${name}.${attribute}`;
  return rule?.attributes?.[attribute]?.(name, ctx);
}

function uuid(name: string): string {
  const h = hash(name, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function genericArn(type: string, name: string, ctx: LocalAwsContext): string {
  const [, service = 'unknown', kind = 'resource'] = type.split('::');
  return `${service.toLowerCase()}:${ctx.region}:${ctx.accountId}:${kind.toLowerCase()}/${name}`;
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
