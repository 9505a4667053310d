import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ApiClient, chunksOf, sha256Hex } from '../support/api-client.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/** Longer than the 2 s of silence after which the other storage calls give up. */
const SLOW_ANSWER_MS = 3500;
const MIB = 1024 * 1024;

let proxy: FaultProxy;
let harness: Harness;
let alice: ApiClient;

const isComplete = ({ method, url }: { method: string; url: string }) =>
  method === 'POST' && /[?&]uploadId=/.test(url);

beforeAll(async () => {
  // The handlers (and so the URLs they sign) reach S3 through a proxy that answers
  // CompleteMultipartUpload slowly, as S3 may for thousands of parts.
  proxy = await startFaultProxy(
    inject('s3Endpoint'),
    (request) => (isComplete(request) ? { delayMs: SLOW_ANSWER_MS } : 'pass'),
    { preserveHost: true },
  );
  harness = await startHarness({ AWS_ENDPOINT_URL_S3: proxy.origin });
  alice = await harness.as('alice');
});
afterAll(async () => {
  await harness?.close();
  await proxy?.close();
});

describe('a slow CompleteMultipartUpload', () => {
  it('is awaited once, not cut off and retried into a 503', async () => {
    // Prepare
    const source = randomBytes(2 * 5 * MIB + 99);
    const { body } = await alice.initiate({ fileName: 'slow.bin', fileSize: source.length });
    for (const [n, bytes] of chunksOf(source, body.data.chunkSize).entries())
      expect((await alice.sendChunk(body.data.id, n, bytes)).status).toBe(200);

    // Act
    const done = await alice.request('POST', `/uploads/${body.data.id}/complete`);

    // Assess
    expect([done.status, done.body.data?.status]).toEqual([200, 'uploaded']);
    expect(proxy.seen.filter(isComplete)).toHaveLength(1);
    expect(sha256Hex(await alice.download(body.data.id))).toBe(sha256Hex(source));
  });
});
