import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadStorage } from '../../infra/upload-storage.ts';
import { fromSessionItem, toSessionItem } from '../../src/adapters/session-item.ts';
import type { UploadSession } from '../../src/domain/session.ts';
import { toSessionView } from '../../src/domain/views.ts';
import { aSession } from '../support/session-fixture.ts';
import { logicalId, removeOutdirs, type Synthesized, synthesize } from './support/synth.ts';

const MIB = 1024 * 1024;

/** Sessions in every shape the list route can meet. */
function sessions(): UploadSession[] {
  const base = aSession({ metadata: { project: 'apollo' }, requestFingerprint: 'fingerprint' });
  return [
    base,
    {
      ...base,
      status: 'uploading',
      uploadedBytes: 10 * MIB,
      chunksUploaded: 2,
      lastChunkAt: '2026-01-01T12:05:00.000Z',
      checksumMode: 'NONE',
      fileSha256: 'x'.repeat(43).concat('='),
      idempotencyKey: 'key-1',
    },
    { ...base, status: 'failed', error: 'assembled object has 1 bytes, expected 16777216' },
    { ...base, status: 'completing', completionToken: 't', completingSince: base.createdAt },
    {
      ...base,
      status: 'uploaded',
      uploadedBytes: 16 * MIB,
      chunksUploaded: 4,
      file: {
        id: 'file-1',
        sessionId: 'session-1',
        name: 'video.mp4',
        size: 16 * MIB,
        contentType: 'video/mp4',
        status: 'uploaded',
        uploadedAt: '2026-01-01T13:00:00.000Z',
        checksum: null,
        etag: '"etag"',
        key: base.key,
        metadata: {},
      },
    },
  ];
}

describe('storage', () => {
  afterAll(removeOutdirs);

  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthesize();
    template = synth.template;
  });

  describe('uploads bucket', () => {
    const bucketProps = () =>
      template.toJSON().Resources[logicalId(synth.stack.uploadApi.bucket)].Properties;

    it('blocks all public access and encrypts with S3-managed keys by default', () => {
      expect(bucketProps().PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucketProps().BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      });
    });

    it('denies every request not made over TLS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(synth.stack.uploadApi.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('lets browsers PUT chunks and read ETag and checksum headers', () => {
      expect(bucketProps().CorsConfiguration).toEqual({
        CorsRules: [
          {
            AllowedMethods: ['PUT', 'GET', 'HEAD'],
            AllowedOrigins: ['*'],
            AllowedHeaders: ['*'],
            ExposedHeaders: ['ETag', 'x-amz-checksum-sha256'],
            MaxAge: 3600,
          },
        ],
      });
    });

    it('aborts incomplete multipart uploads after one day (the default session TTL)', () => {
      expect(bucketProps().LifecycleConfiguration.Rules).toEqual([
        {
          Id: 'abort-incomplete-multipart-uploads',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        },
      ]);
    });

    it('logs server access to a separate, private, TLS-only log bucket', () => {
      const storage = synth.stack.uploadApi.node.findChild('Storage') as UploadStorage;
      const logBucket = logicalId(storage.accessLogsBucket);
      expect(bucketProps().LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logBucket },
        LogFilePrefix: 'uploads-bucket/',
      });
      const logBucketProps = template.toJSON().Resources[logBucket].Properties;
      expect(logBucketProps.PublicAccessBlockConfiguration).toEqual(
        bucketProps().PublicAccessBlockConfiguration,
      );
      expect(logBucketProps.BucketEncryption).toEqual(bucketProps().BucketEncryption);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logBucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('is retained on stack deletion by default', () => {
      template.hasResource('AWS::S3::Bucket', {
        Properties: Match.objectLike({ CorsConfiguration: Match.anyValue() }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('has no transfer acceleration unless asked for', () => {
      expect(bucketProps().AccelerateConfiguration).toBeUndefined();
    });
  });

  describe('ledger table', () => {
    const tableResource = () => template.toJSON().Resources[logicalId(synth.stack.uploadApi.table)];

    it('is on-demand with point-in-time recovery, TTL on expiresAt and a stream with old images', () => {
      const table = tableResource();
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        DeletionProtectionEnabled: true,
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
      });
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.AttributeDefinitions).toEqual(
        expect.arrayContaining(
          ['PK', 'SK', 'GSI1PK', 'GSI1SK'].map((name) => ({
            AttributeName: name,
            AttributeType: 'S',
          })),
        ),
      );
    });

    it('has the user index GSI1 on GSI1PK/GSI1SK, projecting no attribute a chunk record alone changes', () => {
      const [index, ...others] = tableResource().Properties.GlobalSecondaryIndexes;
      expect(others).toEqual([]);
      expect(index.IndexName).toBe('GSI1');
      expect(index.KeySchema).toEqual([
        { AttributeName: 'GSI1PK', KeyType: 'HASH' },
        { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
      ]);
      expect(index.Projection.ProjectionType).toBe('INCLUDE');
      // A record changes the totals (projected) and these (not): the index is written once per record.
      for (const name of ['uploadedChunks', 'updatedAt', 'lastChunkAt'])
        expect(index.Projection.NonKeyAttributes).not.toContain(name);
      expect(index.Projection.NonKeyAttributes).toEqual(
        expect.arrayContaining(['status', 'expiresAt']), // the list route's filter expressions
      );
    });

    it('projects every attribute the list route needs: a session read from the index lists exactly like the full item', () => {
      const index = tableResource().Properties.GlobalSecondaryIndexes[0];
      const projected = new Set<string>([
        'PK',
        'SK',
        'GSI1PK',
        'GSI1SK',
        ...index.Projection.NonKeyAttributes,
      ]);
      const now = new Date('2026-01-01T12:30:00.000Z');
      for (const session of sessions()) {
        const item = toSessionItem(session);
        const fromIndex = Object.fromEntries(
          Object.entries(item).filter(([name]) => projected.has(name)),
        );
        expect(toSessionView(fromSessionItem(fromIndex), now)).toEqual(
          toSessionView(fromSessionItem(item), now),
        );
      }
    });
  });
});
