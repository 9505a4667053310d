import { randomBytes } from 'node:crypto';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, sha256 } from '../support/api-client.ts';
import { type Harness, startHarness } from '../support/harness.ts';

const MIB = 1024 * 1024;
let harness: Harness;
let alice: ApiClient;

beforeAll(async () => {
  harness = await startHarness({ COMPLETION_WAIT_MS: '300' });
  alice = await harness.as('alice');
});
afterAll(() => harness?.close());

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.success).toBe(false);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message).not.toMatch(/\n\s+at |RequestId|node_modules/);
}

async function newSession(body: Record<string, unknown> = {}) {
  const res = await alice.initiate({ fileName: 'f.bin', fileSize: 100, checksum: 'NONE', ...body });
  expect(res.status).toBe(201);
  return res.body.data;
}

describe('VALIDATION_ERROR', () => {
  it('names the field for wrong types, bad numbers and bad names', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ fileName: 'a', fileSize: -1 }, 'fileSize'],
      [{ fileName: 'a', fileSize: 1.5 }, 'fileSize'],
      [{ fileName: 'a', fileSize: '10' }, 'fileSize'],
      [{ fileName: '', fileSize: 1 }, 'fileName'],
      [{ fileName: 'bad\u0000name', fileSize: 1 }, 'fileName'],
      [{ fileName: 'a', fileSize: 1, checksum: 'MD5' }, 'checksum'],
      [{ fileName: 'a', fileSize: 1, fileSha256: 'nope' }, 'fileSha256'],
      [{ fileName: 'a', fileSize: 20 * MIB, chunkSize: MIB }, 'chunkSize'],
      [{ fileName: 'a', fileSize: 1, chunkSize: 6 * 1024 * MIB }, 'chunkSize'],
      [{ fileName: 'a', fileSize: 1, metadata: { k: 'é' } }, 'metadata.k'],
    ];
    for (const [body, field] of cases) {
      const res = await alice.initiate(body);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
  });

  it('rejects malformed JSON, bad headers, chunk numbers and cursors', async () => {
    expectError(
      await alice.request('POST', '/uploads/initiate', '{"fileName":'),
      400,
      'VALIDATION_ERROR',
    );
    expectError(await alice.request('POST', '/uploads/initiate', '[]'), 400, 'VALIDATION_ERROR');
    expectError(
      await alice.initiate({ fileName: 'a', fileSize: 1 }, { 'idempotency-key': 'x'.repeat(300) }),
      400,
      'VALIDATION_ERROR',
    );
    const s = await newSession();
    expectError(await alice.chunkUrls(s.id, [{ chunkNumber: 1 }]), 400, 'VALIDATION_ERROR');
    expectError(await alice.chunkUrls(s.id, []), 400, 'VALIDATION_ERROR');
    expectError(
      await alice.record(s.id, 'x' as unknown as number, { etag: 'e' }),
      400,
      'VALIDATION_ERROR',
    );
    expectError(await alice.record(s.id, 5, { etag: 'e' }), 400, 'VALIDATION_ERROR');
    expectError(await alice.request('GET', '/uploads?limit=0'), 400, 'VALIDATION_ERROR');
    expectError(await alice.request('GET', '/uploads?status=done'), 400, 'VALIDATION_ERROR');
    expectError(await alice.request('GET', '/uploads?cursor=garbage'), 400, 'VALIDATION_ERROR');
  });
});

describe('UNAUTHORIZED', () => {
  it('refuses missing, malformed, forged and expired tokens', async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .sign(new TextEncoder().encode('wrong'));
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setIssuer('upload-api-local')
      .setAudience('upload-api')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode('local-development-secret-not-for-production'));
    for (const authorization of [
      undefined,
      'Bearer',
      'Basic abc',
      `Bearer ${forged}`,
      `Bearer ${expired}`,
    ]) {
      const res = await fetch(`${harness.url}/api/v1/uploads`, {
        headers: authorization ? { authorization } : {},
      });
      expectError(
        { status: res.status, headers: res.headers, body: await res.json() },
        401,
        'UNAUTHORIZED',
      );
    }
  });
});

describe('SESSION_NOT_FOUND', () => {
  it('answers for unknown and malformed ids', async () => {
    expectError(
      await alice.request('GET', '/uploads/00000000-0000-0000-0000-000000000000'),
      404,
      'SESSION_NOT_FOUND',
    );
    expectError(await alice.request('GET', `/uploads/${'x'.repeat(70)}`), 404, 'SESSION_NOT_FOUND');
    expectError(await alice.request('GET', '/uploads/a%2Fb'), 404, 'SESSION_NOT_FOUND');
  });
});

describe('chunk verification', () => {
  it('CHUNK_NOT_UPLOADED when storage does not hold the part', async () => {
    const s = await newSession();
    expectError(await alice.record(s.id, 0, { etag: '"abc"' }), 404, 'CHUNK_NOT_UPLOADED');
  });

  it('ETAG_MISMATCH when the reported ETag differs', async () => {
    const s = await newSession();
    await alice.putChunk(s.id, 0, randomBytes(100), false);
    expectError(
      await alice.record(s.id, 0, { etag: '"0123456789abcdef0123456789abcdef"' }),
      422,
      'ETAG_MISMATCH',
    );
    const progress = await alice.request('GET', `/uploads/${s.id}/progress`);
    expect(progress.body.data.chunksUploaded).toBe(0);
  });

  it('CHUNK_SIZE_MISMATCH when the stored part has another size', async () => {
    // Storage refuses a short body on the presigned URL (it signs content-length), so the short
    // part is written the only way left: straight to the multipart upload with credentials.
    const s = await newSession();
    const session = await harness.db.send(
      new GetCommand({ TableName: harness.table, Key: { PK: `SESSION#${s.id}`, SK: 'SESSION' } }),
    );
    const put = await harness.s3.send(
      new UploadPartCommand({
        Bucket: harness.bucket,
        Key: s.key,
        UploadId: session.Item?.uploadId,
        PartNumber: 1,
        Body: new Uint8Array(99),
      }),
    );
    const res = await alice.record(s.id, 0, { etag: put.ETag });
    expectError(res, 422, 'CHUNK_SIZE_MISMATCH');
    expect(res.body.error.details).toMatchObject({ expectedSize: 100, actualSize: 99 });
  });

  it('CHECKSUM_REQUIRED for a checksummed session', async () => {
    const s = await newSession({ checksum: 'SHA256' });
    const res = await alice.chunkUrls(s.id, [{ chunkNumber: 0 }]);
    expectError(res, 422, 'CHECKSUM_REQUIRED');
    expect(res.body.error.details.chunkNumbers).toEqual([0]);
  });
});

describe('state errors', () => {
  it('CHUNKS_MISSING lists the missing chunks', async () => {
    const source = randomBytes(5 * MIB + 1);
    const { body } = await alice.initiate({ fileName: 'm.bin', fileSize: source.length });
    await alice.sendChunk(body.data.id, 1, source.subarray(5 * MIB));
    const res = await alice.request('POST', `/uploads/${body.data.id}/complete`);
    expectError(res, 409, 'CHUNKS_MISSING');
    expect(res.body.error.details.missingChunks).toEqual([0]);
  });

  it('INVALID_STATE for chunk URLs, cancel after upload and download before it', async () => {
    const s = await newSession();
    expectError(await alice.request('GET', `/uploads/${s.id}/download`), 409, 'INVALID_STATE');
    await alice.sendChunk(s.id, 0, randomBytes(100), false);
    expect((await alice.request('POST', `/uploads/${s.id}/complete`)).status).toBe(200);
    expectError(await alice.chunkUrls(s.id, [{ chunkNumber: 0 }]), 409, 'INVALID_STATE');
    expectError(await alice.request('DELETE', `/uploads/${s.id}`), 409, 'INVALID_STATE');
    expectError(await alice.request('POST', `/uploads/${s.id}/resume`), 409, 'INVALID_STATE');
  });

  it('COMPLETION_IN_PROGRESS with Retry-After while another completion runs', async () => {
    const s = await newSession();
    await alice.sendChunk(s.id, 0, randomBytes(100), false);
    await harness.db.send(
      new UpdateCommand({
        TableName: harness.table,
        Key: { PK: `SESSION#${s.id}`, SK: 'SESSION' },
        UpdateExpression: 'SET #s = :c, completingSince = :now, completionToken = :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':c': 'completing',
          ':now': new Date().toISOString(),
          ':t': 'other-request',
        },
      }),
    );
    const res = await alice.request('POST', `/uploads/${s.id}/complete`);
    expectError(res, 409, 'COMPLETION_IN_PROGRESS');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expectError(await alice.request('DELETE', `/uploads/${s.id}`), 409, 'INVALID_STATE');
  });

  it('SESSION_EXPIRED once expiresAt has passed, even before TTL deletes the item', async () => {
    const s = await newSession();
    await harness.db.send(
      new UpdateCommand({
        TableName: harness.table,
        Key: { PK: `SESSION#${s.id}`, SK: 'SESSION' },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    expectError(await alice.chunkUrls(s.id, [{ chunkNumber: 0 }]), 410, 'SESSION_EXPIRED');
    expectError(await alice.record(s.id, 0, { etag: 'x' }), 410, 'SESSION_EXPIRED');
    expectError(await alice.request('POST', `/uploads/${s.id}/complete`), 410, 'SESSION_EXPIRED');
    expectError(await alice.request('POST', `/uploads/${s.id}/resume`), 410, 'SESSION_EXPIRED');
    expect((await alice.request('GET', `/uploads/${s.id}`)).body.data.status).toBe('expired');
    expect((await alice.request('GET', `/uploads/${s.id}/progress`)).body.data.status).toBe(
      'expired',
    );
  });

  it('FILE_TOO_LARGE beyond the configured maximum', async () => {
    expectError(
      await alice.initiate({ fileName: 'huge', fileSize: 6 * 1024 ** 4 }),
      413,
      'FILE_TOO_LARGE',
    );
  });

  it('fileSha256 given at complete must match the one given at initiate', async () => {
    const bytes = randomBytes(100);
    const s = await newSession({ fileSha256: sha256(bytes) });
    await alice.sendChunk(s.id, 0, bytes, false);
    const res = await alice.request('POST', `/uploads/${s.id}/complete`, {
      fileSha256: sha256(randomBytes(1)),
    });
    expectError(res, 400, 'VALIDATION_ERROR');
  });
});
