import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionImage, streamRecord } from '../support/dynamodb-stream.ts';
import { grantsByResource } from './support/grants.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

describe('cleanup of expired sessions', () => {
  afterAll(removeOutdirs);

  let synth: Synthesized;
  let template: Template;
  let mapping: Record<string, unknown>;

  beforeAll(() => {
    synth = synthesize({ live: false }); // the live channel's push function reads the stream too
    template = synth.template;
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    mapping = mappings[0]?.Properties as Record<string, unknown>;
  });

  it('reads the table stream from the latest record, in bisected, retried batches', () => {
    expect(mapping).toMatchObject({
      FunctionName: { Ref: logicalId(synth.stack.uploadApi.cleanupFunction) },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(synth.stack.uploadApi.table), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 86_400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('passes only TTL deletions of session items to the function', () => {
    const filters = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters).toHaveLength(1);
    expect(JSON.parse(filters[0]?.Pattern ?? '')).toEqual({
      eventName: ['REMOVE'],
      userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
      dynamodb: { OldImage: { entity: { S: ['session'] } } },
    });
  });

  it.each(['uploading', 'failed', 'uploaded', 'deleted'])(
    'lets the TTL deletion of a %s session through, and no user delete or MODIFY of it',
    (status) => {
      const filters = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
      const pattern = JSON.parse(filters[0]?.Pattern ?? '') as Pattern;
      const image = sessionImage({
        id: 's1',
        userId: 'u',
        key: 'uploads/k',
        uploadId: 'x',
        status,
      });

      expect(matches(pattern, streamRecord(image))).toBe(true);
      expect(matches(pattern, streamRecord(image, { userIdentity: null }))).toBe(false);
      expect(matches(pattern, streamRecord(image, { eventName: 'MODIFY' }))).toBe(false);
    },
  );

  it('sends records that keep failing to an encrypted, TLS-only SQS queue', () => {
    const queue = logicalId(synth.stack.uploadApi.cleanupFailures);
    expect(mapping.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } },
    });
    expect(template.toJSON().Resources[queue].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    });
  });

  it('may only abort multipart uploads, delete objects, read the stream and report failures', () => {
    const fn = synth.stack.uploadApi.cleanupFunction;
    const resources = template.toJSON().Resources;
    const queue = logicalId(synth.stack.uploadApi.cleanupFailures);
    expect(
      grantsByResource(template, logicalId(fn), {
        table: logicalId(synth.stack.uploadApi.table),
        bucket: logicalId(synth.stack.uploadApi.bucket),
        logGroup: resources[logicalId(fn)].Properties.LoggingConfig.LogGroup.Ref,
        queue,
      }),
    ).toEqual({
      objects: ['s3:AbortMultipartUpload', 's3:DeleteObject'],
      stream: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      '*': ['dynamodb:ListStreams'],
      queue: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
      logs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    });
  });
});

/** An event-source filter pattern of equality rules: a list of accepted values, or nested fields. */
type Pattern = { [field: string]: readonly unknown[] | Pattern };

/** Lambda's filter semantics for equality rules: every field of the pattern must match. */
function matches(pattern: Pattern, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([field, rule]) => {
    const actual = (value as Record<string, unknown>)[field];
    return Array.isArray(rule) ? rule.includes(actual) : matches(rule as Pattern, actual);
  });
}
