import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type BucketProps,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Props of {@link Storage}. */
export interface StorageProps {
  /**
   * Lifecycle rules of the warehouse bucket; given rules replace the defaults entirely.
   * @default - objects move to S3 Standard-IA after `infrequentAccessAfter`, noncurrent versions
   * expire after 30 days, `errors/` after 90 days, `athena-results/` after 30 days, incomplete
   * multipart uploads after 7 days
   */
  readonly warehouseLifecycleRules?: readonly LifecycleRule[];
  /**
   * When warehouse objects move to S3 Standard-IA (used by the default lifecycle rules only).
   * @default Duration.days(30)
   */
  readonly infrequentAccessAfter?: Duration;
  /**
   * How long old checkpoint versions are kept: every batch overwrites its shard's checkpoint.
   * @default Duration.days(3)
   */
  readonly stateNoncurrentExpiration?: Duration;
  /**
   * How long server access logs are kept.
   * @default Duration.days(365)
   */
  readonly accessLogExpiration?: Duration;
  /**
   * What happens to the buckets when the stack is deleted. The default keeps the data: delete
   * the buckets by hand once they are no longer wanted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The buckets: the warehouse (raw, aggregates, late, errors, Athena results), the aggregators'
 * checkpoints, and the server access logs of both. All encrypted (SSE-S3), private, TLS-only.
 */
export class Storage extends Construct {
  public readonly warehouseBucket: Bucket;
  public readonly stateBucket: Bucket;
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const secure: BucketProps = {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    };

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      ...secure,
      lifecycleRules: [{ expiration: props.accessLogExpiration ?? Duration.days(365) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket; logging its own access would loop.',
    });

    const iaAfter = props.infrequentAccessAfter ?? Duration.days(30);
    this.warehouseBucket = new Bucket(this, 'Warehouse', {
      ...secure,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'warehouse/',
      lifecycleRules: props.warehouseLifecycleRules
        ? [...props.warehouseLifecycleRules]
        : [
            {
              id: 'tiering',
              transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: iaAfter }],
              noncurrentVersionExpiration: Duration.days(30),
              abortIncompleteMultipartUploadAfter: Duration.days(7),
            },
            { id: 'errors', prefix: 'errors/', expiration: Duration.days(90) },
            { id: 'athena-results', prefix: 'athena-results/', expiration: Duration.days(30) },
          ],
    });

    this.stateBucket = new Bucket(this, 'State', {
      ...secure,
      // Versioning keeps the last good checkpoints after a bad write; old versions expire.
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'state/',
      lifecycleRules: [
        {
          id: 'old-checkpoints',
          noncurrentVersionExpiration: props.stateNoncurrentExpiration ?? Duration.days(3),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
