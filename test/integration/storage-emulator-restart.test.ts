import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBucket, ensureTable } from '../../local/bootstrap.ts';
import { type Emulator, startEmulator } from '../../local/emulator.ts';
import { createS3Client } from '../../src/adapters/aws-clients.ts';
import { type ApiClient, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { expectUnavailable } from '../support/storage-faults.ts';

let emulator: Emulator | undefined;
let harness: Harness;
let alice: ApiClient;

/** Creates the harness's bucket and table in `endpoint` (the emulator keeps state in memory). */
async function bootstrap(endpoint: string) {
  const aws = { region: process.env.AWS_REGION ?? 'us-east-1', endpoint };
  await ensureBucket(createS3Client(aws), harness.bucket);
  await ensureTable(new DynamoDBClient(aws), harness.table);
}

beforeAll(async () => {
  // A second emulator of our own: stopping the shared one would break every other test file.
  emulator = await startEmulator();
  // The harness bootstraps the shared emulator; the handlers talk to ours only.
  harness = await startHarness({
    AWS_ENDPOINT_URL: emulator.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  await bootstrap(emulator.endpoint);
  alice = await harness.as('alice');
});
afterAll(async () => {
  await harness?.close();
  await emulator?.stop();
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

describe('the emulator process stopped and restarted under a running API', () => {
  it('answers 503 while it is down and serves new uploads once it is back', async () => {
    // Prepare: an upload before the outage, and one left half-done.
    const running = emulator as Emulator;
    const port = Number(new URL(running.endpoint).port);
    const before = await uploadOnce(randomBytes(1000));
    const { body } = await alice.initiate({ fileName: 'half.bin', fileSize: 10 });

    // Act 1: stop the emulator.
    await running.stop();
    const down = [
      await alice.initiate({ fileName: 'd.bin', fileSize: 10 }),
      await alice.request('GET', `/uploads/${body.data.id}/progress`),
      await alice.request('POST', `/uploads/${body.data.id}/complete`),
      await alice.request('GET', '/uploads'),
    ];

    // Act 2: a new emulator on the same port, without restarting the API.
    emulator = await startEmulator({ port });
    await bootstrap(emulator.endpoint);
    const after = await uploadOnce(randomBytes(2000));

    // Assess
    for (const res of down) expectUnavailable(res);
    expect(after).not.toBe(before);
    // The emulator keeps its state in memory: sessions from before the restart are gone.
    const lost = await alice.request('GET', `/uploads/${before}`);
    expect({ status: lost.status, code: lost.body.error.code }).toEqual({
      status: 404,
      code: 'SESSION_NOT_FOUND',
    });
  });
});
