import { createHash, randomBytes } from 'node:crypto';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, chunksOf, sha256, sha256Hex } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

/**
 * What storage itself refuses, on an S3 that enforces every signed header (LocalStack, like S3):
 * the presigned URL is the contract, not the server's goodwill.
 */
const MIB = 1024 * 1024;
let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.as('alice');
});
afterAll(() => harness?.close());

interface Signed {
  url: string;
  headers: Record<string, string>;
  size: number;
  expiresAt: string;
}

async function signOne(client: ApiClient, id: string, n: number, bytes: Uint8Array) {
  const signed = await client.chunkUrls(id, [{ chunkNumber: n, checksumSha256: sha256(bytes) }]);
  expect(signed.status).toBe(200);
  return signed.body.data.chunks[0] as Signed;
}

async function put(chunk: Signed, body: Uint8Array, url = chunk.url) {
  const res = await fetch(url, {
    method: 'PUT',
    headers: chunk.headers,
    body: body as Uint8Array<ArrayBuffer>,
  });
  const text = await res.text();
  return {
    status: res.status,
    code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1],
    etag: res.headers.get('etag'),
  };
}

async function partsOf(session: { key: string; id: string }) {
  const item = await harness.db.send(
    new GetCommand({
      TableName: harness.table,
      Key: { PK: `SESSION#${session.id}`, SK: 'SESSION' },
    }),
  );
  const listed = await harness.s3.send(
    new ListPartsCommand({
      Bucket: harness.bucket,
      Key: session.key,
      UploadId: item.Item?.uploadId as string,
    }),
  );
  return listed.Parts ?? [];
}

/** The composite checksum S3 gives a multipart object: SHA-256 of the parts' digests, then -N. */
function compositeSha256(parts: Uint8Array[]): string {
  const digests = parts.map((p) => createHash('sha256').update(p).digest());
  return `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-${parts.length}`;
}

describe('a presigned chunk URL on a strict S3', () => {
  it('is refused by storage for a body of another size, and nothing is stored', async () => {
    // Prepare
    const bytes = randomBytes(1000);
    const { body } = await alice.initiate({ fileName: 'size.bin', fileSize: bytes.length });
    const chunk = await signOne(alice, body.data.id, 0, bytes);

    // Act: one byte short, with the checksum of the short body so only the length is wrong.
    const short = bytes.subarray(0, 999);
    const refused = await put(
      { ...chunk, headers: { 'x-amz-checksum-sha256': sha256(short) } },
      short,
    );

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.code).toBe('SignatureDoesNotMatch');
    expect(await partsOf(body.data)).toEqual([]);
  });

  it('is refused by storage for a body whose SHA-256 differs from the signed one', async () => {
    // Prepare
    const bytes = randomBytes(1000);
    const { body } = await alice.initiate({ fileName: 'sum.bin', fileSize: bytes.length });
    const chunk = await signOne(alice, body.data.id, 0, bytes);

    // Act: same size, other content, the signed checksum header unchanged.
    const refused = await put(chunk, randomBytes(1000));

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('BadDigest');
    expect(await partsOf(body.data)).toEqual([]);
  });

  it('is refused when its signature or its checksum header is tampered with', async () => {
    // Prepare
    const bytes = randomBytes(1000);
    const { body } = await alice.initiate({ fileName: 'sig.bin', fileSize: bytes.length });
    const chunk = await signOne(alice, body.data.id, 0, bytes);
    const url = new URL(chunk.url);
    const signature = url.searchParams.get('X-Amz-Signature') as string;
    url.searchParams.set(
      'X-Amz-Signature',
      `${signature.startsWith('0') ? '1' : '0'}${signature.slice(1)}`,
    );
    const other = randomBytes(1000);

    // Act
    const badSignature = await put(chunk, bytes, url.toString());
    const swappedChecksum = await put(
      { ...chunk, headers: { 'x-amz-checksum-sha256': sha256(other) } },
      other,
    );

    // Assess
    expect([badSignature.status, badSignature.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect([swappedChecksum.status, swappedChecksum.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await partsOf(body.data)).toEqual([]);
  });

  it('stores the exact body and lists the part with its checksum', async () => {
    // Prepare
    const bytes = randomBytes(1000);
    const { body } = await alice.initiate({ fileName: 'ok.bin', fileSize: bytes.length });
    const chunk = await signOne(alice, body.data.id, 0, bytes);

    // Act
    const stored = await put(chunk, bytes);
    const recorded = await alice.record(body.data.id, 0, {
      etag: stored.etag,
      checksumSha256: sha256(bytes),
    });

    // Assess
    expect(stored.status).toBe(200);
    expect(recorded.status).toBe(200);
    expect(recorded.body.data.checksum).toBe(sha256(bytes));
    const [part] = await partsOf(body.data);
    expect(part).toMatchObject({ PartNumber: 1, Size: 1000, ChecksumSHA256: sha256(bytes) });
  });
});

describe('complete on a strict S3', () => {
  it('returns the composite checksum of the parts, not the SHA-256 of the file', async () => {
    // Prepare
    const source = randomBytes(2 * 5 * MIB + 4321);
    const { body } = await alice.initiate({ fileName: 'whole.bin', fileSize: source.length });
    const chunks = chunksOf(source, body.data.chunkSize);
    for (const [n, bytes] of chunks.entries())
      expect((await alice.sendChunk(body.data.id, n, bytes)).status).toBe(200);

    // Act
    const done = await alice.request('POST', `/uploads/${body.data.id}/complete`);

    // Assess
    expect(done.status).toBe(200);
    expect(done.body.data.checksum).toBe(compositeSha256(chunks));
    expect(done.body.data.checksum).not.toBe(sha256(source));
    expect(sha256Hex(await alice.download(body.data.id))).toBe(sha256Hex(source));
  });
});
