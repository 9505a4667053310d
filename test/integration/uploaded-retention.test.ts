import { randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochSeconds } from '../../src/domain/session.ts';
import type { ApiClient } from '../support/api-client.ts';
import { imageOf, streamRecord } from '../support/dynamodb-stream.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const RETENTION_SECONDS = 7 * 86_400;

let harness: Harness;
let alice: ApiClient;
let cleanup: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

beforeAll(async () => {
  harness = await startHarness({
    UPLOADED_RETENTION_SECONDS: String(RETENTION_SECONDS),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  alice = await harness.as('alice');
  // The cleanup function reads UPLOADS_BUCKET and the S3 endpoint the harness set.
  cleanup = (await import('../../functions/cleanup-expired.ts')).handler;
});
afterAll(() => harness?.close());

const sessionItem = async (id: string) =>
  (
    await harness.db.send(
      new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
    )
  ).Item as Record<string, unknown>;

const objectExists = (key: string) =>
  harness.s3.send(new HeadObjectCommand({ Bucket: harness.bucket, Key: key })).then(
    () => true,
    (error: { name?: string }) => {
      if (error.name === 'NotFound') return false;
      throw error;
    },
  );

describe('with UPLOADED_RETENTION_SECONDS set', () => {
  it('expires the uploaded record after the retention, and the object goes with it', async () => {
    // Prepare
    const bytes = randomBytes(48);
    const initiated = await alice.initiate({
      fileName: 'kept-a-week.bin',
      fileSize: bytes.length,
      checksum: 'NONE',
    });
    const { id, key } = initiated.body.data;
    await alice.sendChunk(id, 0, bytes, false);
    const completedAt = epochSeconds(new Date());
    expect((await alice.request('POST', `/uploads/${id}/complete`)).status).toBe(200);
    const item = await sessionItem(id);
    expect(item.expiresAt).toBeGreaterThanOrEqual(completedAt + RETENTION_SECONDS);
    expect(item.expiresAt).toBeLessThanOrEqual(epochSeconds(new Date()) + RETENTION_SECONDS);

    // Act: DynamoDB's TTL deletes the record and streams its last image.
    const result = await cleanup({ Records: [streamRecord(imageOf(item))] });

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await objectExists(key)).toBe(false);
  });
});
