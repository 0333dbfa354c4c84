/**
 * Where the template's resources live locally: the values CloudFormation would substitute for
 * pseudo parameters, and the endpoint that serves the data resources (LocalStack).
 */
export interface LocalAwsContext {
  /** `AWS::Region`; also every ARN's region. */
  readonly region: string;
  /** `AWS::AccountId`; LocalStack's default account is 000000000000. */
  readonly accountId: string;
  /** `AWS::Partition`. */
  readonly partition: string;
  /** Endpoint of the local AWS services, e.g. `http://127.0.0.1:4566`; used in SQS queue URLs. */
  readonly endpoint: string;
}

/** LocalStack's defaults: us-east-1, account 000000000000, 127.0.0.1:4566. */
export function defaultLocalContext(overrides: Partial<LocalAwsContext> = {}): LocalAwsContext {
  return {
    region: 'us-east-1',
    accountId: '000000000000',
    partition: 'aws',
    endpoint: 'http://127.0.0.1:4566',
    ...overrides,
  };
}
