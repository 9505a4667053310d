import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type FetchLike,
  memoryStore,
  type UploadOptions,
  type UploadProgress,
  upload,
} from '../../client/sdk/index.ts';
import { nodeHttpFetch, uploadFile } from '../../client/sdk/node.ts';
import { sha256Hex } from '../support/api-client.ts';
import { counter, type Fault, type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const MIB = 1024 * 1024;
const endpoint = inject('s3Endpoint');

let harness: Harness;
let dir: string;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  harness = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'upload-faults-'));
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await harness?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Uploader = (
  bytes: Uint8Array<ArrayBuffer>,
  options: UploadOptions,
) => ReturnType<typeof upload>;

/** The browser path (a Blob through fetch) and the Node path (a file through node:http). */
const CLIENTS: readonly { name: string; transport: FetchLike; send: Uploader }[] = [
  { name: 'a Blob through fetch', transport: fetch, send: (b, o) => upload(new Blob([b]), o) },
  {
    name: 'a file through node:http',
    transport: nodeHttpFetch,
    send: async (bytes, options) => {
      const path = join(dir, 'faulty.bin');
      await writeFile(path, bytes);
      return uploadFile(path, options);
    },
  },
];

const envelope = (code: string) =>
  JSON.stringify({ success: false, error: { code, message: `injected ${code}` } });
const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/** The API faults: every kind of call fails once, in a different way. */
function apiFaults(): (r: { method: string; url: string }) => Fault {
  const nth = counter();
  return ({ method, url }) => {
    const path = new URL(url, 'http://x').pathname;
    if (path.endsWith('/uploads/initiate')) return nth('initiate') === 1 ? 'drop-after' : 'pass'; // created, but the answer is lost
    if (method === 'POST' && path.endsWith('/chunks'))
      return nth('sign') === 1 ? { status: 500, body: envelope('INTERNAL_ERROR') } : 'pass';
    // Records go in batches: the first batch is refused, answered into the void, then cut off.
    if (method === 'PUT' && path.endsWith('/chunks')) {
      const n = nth('record');
      if (n === 1) return { status: 429, retryAfter: '0', body: envelope('RATE_LIMITED') };
      if (n === 2) return 'drop-after';
      if (n === 3) return 'drop-before';
      return 'pass';
    }
    if (path.endsWith('/complete'))
      return nth('complete') === 1
        ? { status: 503, retryAfter: '1', body: envelope('STORAGE_UNAVAILABLE') }
        : 'pass';
    return 'pass';
  };
}

/** The storage faults, by the order of chunk PUTs. */
function storageFaults(): (r: { method: string; url: string }) => Fault {
  const nth = counter();
  return ({ method }) => {
    if (method !== 'PUT') return 'pass';
    switch (nth('put')) {
      case 1:
        return { status: 500, body: s3Error('InternalError', 'injected') };
      case 2:
        return { status: 403, body: s3Error('AccessDenied', 'Request has expired') };
      case 3:
        return 'drop-before';
      case 5:
        return { status: 429, retryAfter: '1', body: s3Error('SlowDown', 'injected') };
      case 7:
        return 'drop-after'; // the part is stored, its ETag never arrives
      default:
        return 'pass';
    }
  };
}

describe.skipIf(!endpoint)('an upload through a faulty network', () => {
  it.each(CLIENTS)(
    'completes with the exact bytes despite drops, 5xx, 429 and an expired URL: $name',
    async ({ name, transport, send }) => {
      // Prepare: proxies in front of the API and of storage; the SDK's requests are rewritten to them.
      const api = await harness.as(`fault-user-${name}`);
      const apiProxy = await startFaultProxy(harness.url, apiFaults());
      const storageProxy = await startFaultProxy(endpoint, storageFaults());
      proxies.push(apiProxy, storageProxy);
      const viaProxies: FetchLike = (url, init) => {
        const target = new URL(url);
        const proxy = [apiProxy, storageProxy].find((p) => p.target === target.origin);
        if (!proxy) throw new Error(`unexpected origin ${target.origin}`);
        return transport(`${proxy.origin}${target.pathname}${target.search}`, init);
      };
      const bytes = new Uint8Array(randomBytes(6 * 5 * MIB + 4321));
      const updates: UploadProgress[] = [];

      // Act
      const record = await send(bytes, {
        apiUrl: harness.url,
        token: api.token,
        fileName: 'faulty.bin',
        chunkSize: 5 * MIB,
        concurrency: 3,
        fetch: viaProxies,
        store: memoryStore(),
        retry: { baseDelayMs: 20, maxDelayMs: 200 },
        onProgress: (p) => updates.push(p),
      });

      // Assess: the file is whole and exactly once.
      expect(record).toMatchObject({ name: 'faulty.bin', size: bytes.length, status: 'uploaded' });
      expect(sha256Hex(await api.download(record.sessionId))).toBe(sha256Hex(bytes));
      const sessions = await api.request('GET', '/uploads?status=all');
      expect(sessions.body.data.items).toHaveLength(1);
      expect(updates.at(-1)).toMatchObject({ percent: 100, chunksUploaded: 7, totalChunks: 7 });

      // Every planned fault happened.
      const faultsOf = (p: FaultProxy) =>
        p.seen.filter((r) => r.fault !== 'pass').map((r) => r.fault);
      expect(faultsOf(apiProxy).sort()).toEqual(
        [
          'drop-after',
          'drop-after',
          'drop-before',
          'status 429',
          'status 500',
          'status 503',
        ].sort(),
      );
      expect(faultsOf(storageProxy).sort()).toEqual(
        ['drop-after', 'drop-before', 'status 403', 'status 429', 'status 500'].sort(),
      );

      // The retried initiate reused its idempotency key.
      const initiates = apiProxy.seen.filter((r) => r.url.endsWith('/uploads/initiate'));
      expect(initiates).toHaveLength(2);
      expect(initiates[0]?.headers['idempotency-key']).toBeTruthy();
      expect(initiates[1]?.headers['idempotency-key']).toBe(
        initiates[0]?.headers['idempotency-key'],
      );

      // The chunk whose URL storage refused (403) was signed again, alone, before its next PUT.
      const refused = storageProxy.seen.find((r) => r.fault === 'status 403') as { url: string };
      const chunkNumber =
        Number(new URL(refused.url, 'http://x').searchParams.get('partNumber')) - 1;
      const signCalls = apiProxy.seen
        .filter((r) => r.method === 'POST' && r.url.endsWith('/chunks') && r.fault === 'pass')
        .map((r) => JSON.parse(r.body).chunks.map((c: { chunkNumber: number }) => c.chunkNumber));
      expect(signCalls).toContainEqual([chunkNumber]);
      // Every chunk was signed.
      expect(new Set(signCalls.flat())).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
    },
  );
});
