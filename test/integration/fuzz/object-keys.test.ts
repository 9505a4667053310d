import { randomUUID } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../../local/auth.ts';
import {
  buildObjectKey,
  MAX_KEY_BYTES,
  sanitizeFileName,
  userSegment,
} from '../../../src/domain/object-key.ts';
import { sha256 } from '../../support/api-client.ts';
import { type Harness, startHarness } from '../../support/harness.ts';
import { anyText, FUZZ_SEED, fileNameArb, fuzzOptions } from './arbitraries.ts';
import { closeAgent, expectContractAnswer, httpCases, type RawRequest, send } from './contract.ts';

const SAFE_NAME = /^[\p{L}\p{N}_-][\p{L}\p{N}._-]*$/u;
const userPrefix = (userId: string) => `uploads/${userSegment(userId)}/`;

/** Names full of separators, dots and any unicode, as a hostile client would pick them. */
const hostileName = fc.oneof(
  fileNameArb,
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc
    .array(fc.oneof(fc.constantFrom('/', '\\', '..', '.', '%2F', '\u2215', '\uff0f'), anyText(8)))
    .map((parts) => parts.join('')),
);

/** User ids as an OIDC issuer might write them (well-formed text: a JWT is UTF-8 JSON). */
const userIdArb = fc
  .oneof(
    fc.constantFrom('alice', '..', '.', '../bob', 'a/b', 'tenant\\x', '%2e%2e', 'ü'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  )
  .filter((id) => id.length > 0);

/** Any sub at all: long, any script, and lone surrogates, which JSON carries as `\\ud800`. */
const anySubArb = fc.oneof(
  userIdArb,
  fc.constantFrom('', '\uD800', '\uDFFF'),
  fc.string({ unit: 'grapheme', minLength: 100, maxLength: 2_000 }),
  anyText(300),
);

describe(`object keys from arbitrary names (FUZZ_SEED=${FUZZ_SEED})`, () => {
  it('sanitizeFileName keeps no path, no leading dot, valid UTF-8 and at most 200 characters', () => {
    fc.assert(
      fc.property(hostileName, (name) => {
        const safe = sanitizeFileName(name);

        expect(safe).toMatch(SAFE_NAME);
        expect(safe).not.toMatch(/[/\\]/);
        expect(safe.isWellFormed()).toBe(true);
        expect(Array.from(safe).length).toBeLessThanOrEqual(200);
        expect(Buffer.byteLength(safe, 'utf8')).toBeLessThanOrEqual(800);
      }),
      fuzzOptions(20),
    );
  });

  it('only the last path component of a name can reach the key', () => {
    fc.assert(
      fc.property(hostileName, hostileName, (dirs, base) => {
        const last = base.split(/[/\\]/).pop() as string;

        expect(sanitizeFileName(`${dirs}/${base}`)).toBe(sanitizeFileName(last));
        expect(sanitizeFileName(`${dirs}\\${base}`)).toBe(sanitizeFileName(last));
      }),
      fuzzOptions(10),
    );
  });

  it('buildObjectKey stays under the user and file prefix, in four segments and 1,024 bytes', () => {
    fc.assert(
      fc.property(anySubArb, fc.uuid(), hostileName, (userId, fileId, name) => {
        const key = buildObjectKey(userId, fileId, name);

        expect(key.startsWith(`${userPrefix(userId)}${fileId}/`)).toBe(true);
        const segments = key.split('/');
        expect(segments).toHaveLength(4);
        expect(segments).not.toContain('..');
        expect(segments).not.toContain('.');
        expect(segments[3]).toBe(sanitizeFileName(name));
        expect(key.isWellFormed()).toBe(true);
        expect(Buffer.byteLength(key, 'utf8')).toBeLessThanOrEqual(MAX_KEY_BYTES);
      }),
      fuzzOptions(20),
    );
  });
});

let harness: Harness;
const startedAt = Date.now();

beforeAll(async () => {
  harness = await startHarness({ POWERTOOLS_METRICS_DISABLED: 'true' });
});

afterAll(async () => {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(
    `[fuzz] object-keys: ${httpCases()} HTTP cases in ${seconds}s (FUZZ_SEED=${FUZZ_SEED})`,
  );
  closeAgent();
  await harness?.close();
});

async function call(token: string, routeId: string, method: string, path: string, body?: unknown) {
  const req: RawRequest = {
    method,
    path: `/api/v1${path}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  const res = await send(harness.url, req);
  // biome-ignore lint/suspicious/noExplicitAny: the answer's shape is checked by expectContractAnswer
  return { status: res.status, body: expectContractAnswer(routeId, req, res) as any };
}

describe(`object keys through the API (FUZZ_SEED=${FUZZ_SEED})`, () => {
  it('the key of a finished upload stays under the caller prefix whatever the fileName', async () => {
    await fc.assert(
      fc.asyncProperty(
        userIdArb,
        hostileName,
        fc.uint8Array({ maxLength: 64 }),
        async (userId, fileName, bytes) => {
          // A fresh suffix keeps every run's user apart, and its live-slot count low.
          const user = `${userId}#${randomUUID().slice(0, 8)}`;
          const token = await issueToken(user);
          const prefix = userPrefix(user);
          const started = await call(token, 'initiate', 'POST', '/uploads/initiate', {
            fileName,
            fileSize: bytes.length,
          });
          if (!started.body.success) {
            expect(started.body.error.code).toBe('VALIDATION_ERROR');
            return;
          }
          const session = started.body.data;
          expect(session.key.startsWith(`${prefix}${session.fileId}/`)).toBe(true);
          expect(session.key.split('/')).toHaveLength(4);
          expect(Buffer.byteLength(session.key, 'utf8')).toBeLessThanOrEqual(MAX_KEY_BYTES);
          expect(session.fileName).toBe(fileName);

          const signed = await call(token, 'chunkUrls', 'POST', `/uploads/${session.id}/chunks`, {
            chunks: [{ chunkNumber: 0, checksumSha256: sha256(bytes) }],
          });
          const chunk = signed.body.data.chunks[0];
          const put = await fetch(chunk.url, {
            method: 'PUT',
            headers: chunk.headers,
            body: bytes as Uint8Array<ArrayBuffer>,
          });
          const etag = put.headers.get('etag');
          const path = `/uploads/${session.id}/chunks/0`;
          await call(token, 'recordChunk', 'PUT', path, { etag, checksumSha256: sha256(bytes) });
          const done = await call(token, 'complete', 'POST', `/uploads/${session.id}/complete`);

          expect(done.status).toBe(200);
          expect(done.body.data.key).toBe(session.key);
          const head = await harness.s3.send(
            new HeadObjectCommand({ Bucket: harness.bucket, Key: session.key }),
          );
          expect(head.ContentLength).toBe(bytes.length);
        },
      ),
      fuzzOptions(1),
    );
  });
});
