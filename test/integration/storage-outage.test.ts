import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiClient, type ApiResponse, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';
import { expectUnavailable } from '../support/storage-faults.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const MIB = 1024 * 1024;
/** The routes' Lambda timeout (infra ROUTE_TIMEOUT): an answer must come before it. */
const ROUTE_TIMEOUT_MS = 10_000;

/** One proxy in front of each service: an outage takes S3 and DynamoDB away together. */
const proxies: TcpProxy[] = [];
const proxy = {
  stop: () => Promise.all(proxies.map((p) => p.stop())),
  hold: () => {
    for (const p of proxies) p.hold();
  },
  resume: () => Promise.all(proxies.map((p) => p.resume())),
};
let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  const [s3, dynamodb] = await Promise.all([
    startTcpProxy(inject('s3Endpoint')),
    startTcpProxy(inject('dynamodbEndpoint')),
  ]);
  proxies.push(s3, dynamodb);
  // The handlers reach storage through the proxies; the harness's own s3/db clients do not.
  harness = await startHarness({
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    DYNAMODB_TIMEOUT_MS: '1000', // the deployed default, which the route timeout is sized for
  });
  alice = await harness.as('alice');
});
afterAll(async () => {
  await harness?.close();
  await Promise.all(proxies.map((p) => p.close()));
});

async function timed(request: () => Promise<ApiResponse>) {
  const startedAt = performance.now();
  const res = await request();
  return { res, ms: Math.round(performance.now() - startedAt) };
}

/** Every route, against a session with chunks 0 and 1 recorded and chunk 2 in storage only. */
function everyRoute(id: string, etag: string): [string, () => Promise<ApiResponse>][] {
  return [
    ['initiate', () => alice.initiate({ fileName: 'n.bin', fileSize: 10 })],
    [
      'chunkUrls',
      () => alice.chunkUrls(id, [{ chunkNumber: 2, checksumSha256: `${'x'.repeat(43)}=` }]),
    ],
    ['recordChunk', () => alice.record(id, 2, { etag })],
    ['progress', () => alice.request('GET', `/uploads/${id}/progress`)],
    ['resume', () => alice.request('POST', `/uploads/${id}/resume`)],
    ['complete', () => alice.request('POST', `/uploads/${id}/complete`)],
    ['getUpload', () => alice.request('GET', `/uploads/${id}`)],
    ['download', () => alice.request('GET', `/uploads/${id}/download`)],
    ['listUploads', () => alice.request('GET', '/uploads')],
    ['cancel', () => alice.request('DELETE', `/uploads/${id}`)],
  ];
}

async function halfUploaded(source: Uint8Array) {
  const { body } = await alice.initiate({ fileName: 'outage.bin', fileSize: source.length });
  const id = body.data.id as string;
  expect((await alice.sendChunk(id, 0, source.subarray(0, 5 * MIB))).status).toBe(200);
  expect((await alice.sendChunk(id, 1, source.subarray(5 * MIB, 10 * MIB))).status).toBe(200);
  const etag = await alice.putChunk(id, 2, source.subarray(10 * MIB));
  return { id, etag };
}

async function finishAndCheck(id: string, etag: string, source: Uint8Array) {
  expect((await alice.record(id, 2, { etag })).status).toBe(200);
  const done = await alice.request('POST', `/uploads/${id}/complete`);
  expect(done.status).toBe(200);
  expect(done.body.data.size).toBe(source.length);
  expect(sha256Hex(await alice.download(id))).toBe(sha256Hex(source));
  const item = await harness.db.send(
    new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${id}`, SK: 'SESSION' } }),
  );
  expect(item.Item?.status).toBe('uploaded');
}

describe('storage outage in the middle of an upload', () => {
  it.each([
    ['stopped (connections refused and cut)', () => proxy.stop()],
    ['a black hole (connections accepted, never answered)', async () => proxy.hold()],
  ])(
    'storage %s: every route answers 503 in bounded time; after recovery the upload finishes',
    async (_label, takeAway) => {
      // Prepare
      const source = randomBytes(10 * MIB + 999);
      const { id, etag } = await halfUploaded(source);
      await takeAway();

      // Act
      const answers: { route: string; res: ApiResponse; ms: number }[] = [];
      for (const [route, request] of everyRoute(id, etag)) {
        answers.push({ route, ...(await timed(request)) });
      }
      await proxy.resume();

      // Assess
      console.log(
        `[outage ${_label}] ms per route:`,
        Object.fromEntries(answers.map((a) => [a.route, a.ms])),
      );
      for (const { route, res, ms } of answers) {
        expect({ route, status: res.status }).toEqual({ route, status: 503 });
        expectUnavailable(res);
        expect({ route, withinRouteTimeout: ms < ROUTE_TIMEOUT_MS }).toEqual({
          route,
          withinRouteTimeout: true,
        });
      }
      await finishAndCheck(id, etag, source);
    },
  );
});
