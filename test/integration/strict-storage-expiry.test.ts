import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchLike, memoryStore, upload } from '../../client/sdk/index.ts';
import { type ApiClient, sha256, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/** Storage refuses a presigned URL past its expiry; the SDK signs the chunk again. */
const MIB = 1024 * 1024;
let short: Harness;

beforeAll(async () => {
  // Handlers read their config once per process: this file needs its own harness.
  short = await startHarness({ URL_EXPIRY_SECONDS: '1' });
});
afterAll(() => short?.close());

async function signOne(client: ApiClient, id: string, n: number, bytes: Uint8Array) {
  const signed = await client.chunkUrls(id, [{ chunkNumber: n, checksumSha256: sha256(bytes) }]);
  expect(signed.status).toBe(200);
  return signed.body.data.chunks[0] as { url: string; headers: Record<string, string> };
}

describe('an expired chunk URL', () => {
  /** Waits out the URL's own lifetime (X-Amz-Date + X-Amz-Expires) on the wall clock. */
  const expiryOf = (url: string) => {
    const params = new URL(url).searchParams;
    const date = (params.get('X-Amz-Date') as string).replace(
      /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    const seconds = Number(params.get('X-Amz-Expires'));
    expect(seconds).toBe(1);
    return Date.parse(date) + seconds * 1000;
  };
  const outlive = async (url: string) => {
    const wait = expiryOf(url) + 1100 - Date.now();
    if (wait > 0) await sleep(wait);
  };

  it('is refused by storage', async () => {
    // Prepare
    const bob = await short.as('bob');
    const bytes = randomBytes(1000);
    const { body } = await bob.initiate({ fileName: 'late.bin', fileSize: bytes.length });
    const chunk = await signOne(bob, body.data.id, 0, bytes);
    await outlive(chunk.url);

    // Act
    const refused = await fetch(chunk.url, { method: 'PUT', headers: chunk.headers, body: bytes });

    // Assess
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/<Code>AccessDenied<\/Code><Message>Request has expired/);
  });

  it('is signed again by the SDK, which then finishes the upload with the exact bytes', async () => {
    // Prepare: the first PUT of each chunk waits until its URL has expired.
    const bob = await short.as('bob-sdk');
    const source = randomBytes(2 * 5 * MIB + 77);
    const refusals: number[] = [];
    const delayed = new Set<string>();
    const lateFetch: FetchLike = async (url, init) => {
      if (init?.method !== 'PUT') return fetch(url, init);
      const part = new URL(url).searchParams.get('partNumber') as string;
      if (!delayed.has(part)) {
        delayed.add(part);
        await outlive(url);
      }
      const response = await fetch(url, init);
      if (response.status === 403) refusals.push(Number(part));
      return response;
    };

    // Act
    const record = await upload(new Blob([source]), {
      apiUrl: short.url,
      token: bob.token,
      fileName: 'sdk-late.bin',
      chunkSize: 5 * MIB,
      concurrency: 3,
      fetch: lateFetch,
      store: memoryStore(),
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
    });

    // Assess: every chunk was refused once, then re-signed and stored.
    expect(refusals.sort()).toEqual([1, 2, 3]);
    expect(record.status).toBe('uploaded');
    expect(sha256Hex(await bob.download(record.sessionId))).toBe(sha256Hex(source));
  });
});
