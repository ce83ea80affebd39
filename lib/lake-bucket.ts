import * as s3 from 'aws-cdk-lib/aws-s3';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { AUDIENCE_SYNC_RUNS_PREFIX } from '../domain/contract/audiences';
import { INTENT_FEATURES_PREFIX } from '../domain/contract/curated-table';

/** Prefixes of job working files: an intent run's feature sets, an audience sync's changed users. */
const WORKING_PREFIXES = [INTENT_FEATURES_PREFIX, AUDIENCE_SYNC_RUNS_PREFIX] as const;
const WORKING_FILES_DAYS = 7;

export interface LakeBucketProps {
  readonly removalPolicy: RemovalPolicy;
  /** Days before objects move to Standard-IA; 0 keeps them in Standard. */
  readonly infrequentAccessAfterDays: number;
  /** Days before objects are deleted; 0 keeps them forever. */
  readonly expireAfterDays: number;
  /**
   * Days an old object version and an Athena result are kept: within the erase window, since both can
   * hold a deleted user's rows (S3 expires objects at the next midnight UTC after this, asynchronously).
   */
  readonly keepOldVersionsDays: number;
}

/**
 * The days of `keepOldVersionsDays` for an erase window: a day less than it, because S3 rounds an
 * expiration to the next midnight UTC and runs it asynchronously
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html).
 */
export function oldVersionDays(eraseWindowHours: number): number {
  return Math.max(1, Math.floor(eraseWindowHours / 24) - 1);
}

const privateEncryptedTlsOnly = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const;

/**
 * The lake: `events/`, `quarantine/` and `errors/` (Firehose's failed records) in one private,
 * encrypted, TLS-only bucket, with server access logs in a second bucket, and a bucket for Athena
 * query results. RETAIN by default: deleting the stack never deletes customer data. With `destroy`,
 * the buckets are deleted with the stack once empty (CloudFormation cannot delete a bucket with objects).
 */
export class LakeBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly queryResults: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...privateEncryptedTlsOnly,
      // Server access log delivery needs ACL-less ownership and SSE-S3 (SSE-KMS is not supported).
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the target of the other buckets server access logs; logging it to itself would loop.',
    });
    const transitions =
      props.infrequentAccessAfterDays > 0
        ? [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.infrequentAccessAfterDays),
            },
          ]
        : [];
    this.bucket = new s3.Bucket(this, 'Lake', {
      ...privateEncryptedTlsOnly,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'lake/',
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        {
          id: 'lake-tiering',
          transitions,
          ...(props.expireAfterDays > 0 ? { expiration: Duration.days(props.expireAfterDays) } : {}),
          noncurrentVersionExpiration: Duration.days(props.keepOldVersionsDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        // Working files of a job: removed by the job when it ends, and by these rules when it failed
        // before it could (a week leaves time to look at a failed run).
        ...WORKING_PREFIXES.map((prefix) => ({
          id: `working-${prefix.replace(/[^a-z]+/g, '-').replace(/-$/, '')}`,
          prefix,
          expiration: Duration.days(WORKING_FILES_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
        })),
      ],
    });
    // Object-created events go to EventBridge (the errors/ alarm in lib/monitoring.ts matches them). Set
    // on the bucket resource itself: the L2's eventBridgeEnabled adds a custom-resource Lambda.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    this.queryResults = new s3.Bucket(this, 'QueryResults', {
      ...privateEncryptedTlsOnly,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'query-results/',
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{ expiration: Duration.days(props.keepOldVersionsDays) }],
    });
  }
}
