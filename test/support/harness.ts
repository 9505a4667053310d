import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { issueToken } from '../../local/auth.ts';
import { ensureBucket, ensureTable } from '../../local/bootstrap.ts';
import { EMULATOR_DYNAMODB_TIMEOUT_MS } from '../../local/emulator.ts';
import { createDocumentClient, createS3Client } from '../../src/adapters/aws-clients.ts';
import { ApiClient } from './api-client.ts';

export interface Harness {
  readonly url: string;
  readonly bucket: string;
  readonly table: string;
  readonly s3: S3Client;
  readonly db: DynamoDBDocumentClient;
  /** An API client for a user, with a fresh valid token. */
  as(userId: string): Promise<ApiClient>;
  close(): Promise<void>;
}

/**
 * Starts the real local server (the same handler modules Lambda runs) against the emulator, with
 * a bucket and table of its own. Call once per test file: handlers read their config at import.
 */
export async function startHarness(
  env: Record<string, string> = {},
  options: { readonly live?: boolean } = {},
): Promise<Harness> {
  const suffix = randomUUID().slice(0, 8);
  const endpoints = { s3: inject('s3Endpoint'), dynamodb: inject('dynamodbEndpoint') };
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    UPLOADS_TABLE: `uploads-test-${suffix}`,
    UPLOADS_BUCKET: `uploads-test-${suffix}`,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true', // one metrics line per request would flood the output
    // Tests of timeouts set the deployed 1 s back (storage-outage.test.ts).
    DYNAMODB_TIMEOUT_MS: EMULATOR_DYNAMODB_TIMEOUT_MS,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...env,
  });
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const bucket = process.env.UPLOADS_BUCKET as string;
  const table = process.env.UPLOADS_TABLE as string;
  const s3 = createS3Client({ region, endpoint: endpoints.s3 });
  const dynamodb = { region, endpoint: endpoints.dynamodb };
  await ensureBucket(s3, bucket);
  await ensureTable(new DynamoDBClient(dynamodb), table);
  const { startApiServer } = await import('../../local/server.ts');
  // Live progress follows the table's stream (polling moto): only for the tests that watch.
  const server = await startApiServer({ port: 0, live: options.live ?? false });
  return {
    url: server.url,
    bucket,
    table,
    s3,
    db: createDocumentClient(dynamodb) as DynamoDBDocumentClient,
    as: async (userId) => new ApiClient(server.url, await issueToken(userId)),
    close: () => server.close(),
  };
}
