import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
} from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { USER_INDEX, USER_INDEX_ATTRIBUTES } from '../src/adapters/session-item.ts';
import type { ResolvedUploadApiProps } from './upload-api-props.ts';

/** The user index's projection, shared with the local table (local/bootstrap.ts). */
export { USER_INDEX_ATTRIBUTES };

const SECONDS_PER_DAY = 86_400;

/** The uploads bucket (with its access-log bucket and optional KMS key) and the ledger table. */
export class UploadStorage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogsBucket: Bucket;
  readonly encryptionKey: IKey | undefined;
  readonly table: Table;

  constructor(scope: Construct, id: string, props: ResolvedUploadApiProps) {
    super(scope, id);
    const { removalPolicy } = props;

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Server access log delivery supports SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server access log target; logging it to itself would loop.',
    });

    this.encryptionKey =
      props.encryption === 'KMS'
        ? (props.encryptionKey ??
          new Key(this, 'BucketKey', {
            enableKeyRotation: true,
            description: 'Encrypts uploaded files',
            removalPolicy,
          }))
        : undefined;

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      ...(this.encryptionKey
        ? {
            encryption: BucketEncryption.KMS,
            encryptionKey: this.encryptionKey,
            bucketKeyEnabled: true,
          }
        : { encryption: BucketEncryption.S3_MANAGED }),
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      transferAcceleration: props.transferAcceleration,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'uploads-bucket/',
      cors: [
        {
          // Browsers PUT chunks to presigned URLs and must read the ETag to record them.
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: [...props.allowedOrigins],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag', 'x-amz-checksum-sha256'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          // Never before a live session ends: the session TTL rounded up to whole days.
          abortIncompleteMultipartUploadAfter: Duration.days(
            Math.max(1, Math.ceil(props.policy.sessionTtlSeconds / SECONDS_PER_DAY)),
          ),
        },
      ],
      removalPolicy,
    });

    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'PK', type: AttributeType.STRING },
      sortKey: { name: 'SK', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      // The cleanup function reads the OldImage of TTL deletions.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: USER_INDEX,
      partitionKey: { name: 'GSI1PK', type: AttributeType.STRING },
      sortKey: { name: 'GSI1SK', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...USER_INDEX_ATTRIBUTES],
    });
  }
}
