import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { UploadFunction, type UploadFunctionProps } from './upload-function.ts';

/**
 * Only TTL deletions of session items reach the function: DynamoDB's TTL process is the
 * principal `dynamodb.amazonaws.com` of type Service, and only session items carry
 * `entity = session`. Every status passes: an uploaded or deleted session's record takes its
 * object with it. User-initiated deletes and other item types are dropped before invocation.
 */
export const TTL_SESSION_REMOVAL_FILTER = {
  eventName: FilterRule.isEqual('REMOVE'),
  userIdentity: {
    type: FilterRule.isEqual('Service'),
    principalId: FilterRule.isEqual('dynamodb.amazonaws.com'),
  },
  dynamodb: { OldImage: { entity: { S: FilterRule.isEqual('session') } } },
};

export interface UploadCleanupProps
  extends Omit<UploadFunctionProps, 'handler' | 'description' | 'timeout' | 'memorySize'> {
  readonly table: ITable;
}

/** Releases the storage of every session that DynamoDB's TTL deletes. */
export class UploadCleanup extends Construct {
  readonly handler: UploadFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: UploadCleanupProps) {
    super(scope, id);
    const { table, ...functionProps } = props;
    this.handler = new UploadFunction(this, 'Handler', {
      ...functionProps,
      handler: 'cleanup-expired',
      description: 'Releases the storage (parts or object) of TTL-deleted sessions',
      timeout: Duration.seconds(60),
      memorySize: 256,
    });

    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the stream event source; records that land here are inspected by hand.',
    });

    this.handler.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        bisectBatchOnError: true,
        retryAttempts: 5,
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(this.failures),
        // The handler answers with batchItemFailures for transient storage errors.
        reportBatchItemFailures: true,
        filters: [FilterCriteria.filter(TTL_SESSION_REMOVAL_FILTER)],
      }),
    );
    Validations.of(this.handler.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, added by the stream event source grant, does not support resource-level permissions.',
    });
  }
}
