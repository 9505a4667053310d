import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBucket, ensureTable } from '../../local/bootstrap.ts';
import type { ChildServer } from '../../local/child-server.ts';
import { startLocalStackS3 } from '../../local/localstack.ts';
import { startMoto } from '../../local/moto.ts';
import { createS3Client } from '../../src/adapters/aws-clients.ts';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { expectUnavailable } from '../support/storage-faults.ts';

let s3: ChildServer | undefined;
let dynamodb: ChildServer | undefined;
let harness: Harness;
let alice: ApiClient;

/** Creates the harness's bucket and table in our emulators (they keep state in memory). */
async function bootstrap() {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  await ensureBucket(createS3Client({ region, endpoint: s3?.endpoint }), harness.bucket);
  await ensureTable(new DynamoDBClient({ region, endpoint: dynamodb?.endpoint }), harness.table);
}

const portOf = (server: ChildServer | undefined) => Number(new URL(server?.endpoint ?? '').port);

beforeAll(async () => {
  // Emulators of our own: stopping the shared ones would break every other test file.
  [s3, dynamodb] = await Promise.all([startLocalStackS3(), startMoto()]);
  // The harness bootstraps the shared emulators; the handlers talk to ours only.
  harness = await startHarness({
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  await bootstrap();
  alice = await harness.as('alice');
});
afterAll(async () => {
  await harness?.close();
  await Promise.all([s3?.stop(), dynamodb?.stop()]);
});

async function uploadOnce(bytes: Uint8Array) {
  const { status, body } = await alice.initiate({ fileName: 'r.bin', fileSize: bytes.length });
  expect(status).toBe(201);
  expect((await alice.sendChunk(body.data.id, 0, bytes)).status).toBe(200);
  const done = await alice.request('POST', `/uploads/${body.data.id}/complete`);
  expect(done.status).toBe(200);
  expect(sha256Hex(await alice.download(body.data.id))).toBe(sha256Hex(bytes));
  return body.data.id as string;
}

describe('the emulator processes stopped and restarted under a running API', () => {
  it('answers 503 while it is down and serves new uploads once it is back', async () => {
    // Prepare: an upload before the outage, and one left half-done.
    const ports = { s3: portOf(s3), dynamodb: portOf(dynamodb) };
    const before = await uploadOnce(randomBytes(1000));
    const { body } = await alice.initiate({ fileName: 'half.bin', fileSize: 10 });

    // Act 1: stop both emulators.
    await Promise.all([s3?.stop(), dynamodb?.stop()]);
    const down = [
      await alice.initiate({ fileName: 'd.bin', fileSize: 10 }),
      await alice.request('GET', `/uploads/${body.data.id}/progress`),
      await alice.request('POST', `/uploads/${body.data.id}/complete`),
      await alice.request('GET', '/uploads'),
    ];

    // Act 2: new emulators on the same ports, without restarting the API.
    [s3, dynamodb] = await Promise.all([
      startLocalStackS3({ port: ports.s3 }),
      startMoto({ port: ports.dynamodb }),
    ]);
    await bootstrap();
    const after = await uploadOnce(randomBytes(2000));

    // Assess
    for (const res of down) expectUnavailable(res);
    expect(after).not.toBe(before);
    // The emulators keep their state in memory: sessions from before the restart are gone.
    const lost = await alice.request('GET', `/uploads/${before}`);
    expect({ status: lost.status, code: lost.body.error.code }).toEqual({
      status: 404,
      code: 'SESSION_NOT_FOUND',
    });
  });
});
