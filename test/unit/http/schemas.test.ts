import { describe, expect, it } from 'vitest';
import {
  ChunkParams,
  ChunkUrlsRequest,
  InitiateRequest,
  ListQuery,
  RecordChunkRequest,
} from '../../../src/http/schemas.ts';

const SHA = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const good = { fileName: 'video.mp4', fileSize: 1024 };

describe('InitiateRequest', () => {
  it('accepts a minimal and a complete request', () => {
    // Prepare
    const complete = {
      ...good,
      contentType: 'text/plain; charset=utf-8',
      metadata: { project: 'apollo', 'owner-id': 'u_1' },
      chunkSize: 8 * 1024 * 1024,
      fileSha256: SHA,
      checksum: 'NONE',
    };

    // Act & Assess
    expect(InitiateRequest.parse(good)).toEqual(good);
    expect(InitiateRequest.parse(complete)).toEqual(complete);
  });

  it('accepts a zero-byte file and unicode names', () => {
    // Act & Assess
    expect(InitiateRequest.safeParse({ fileName: 'résumé 日本.txt', fileSize: 0 }).success).toBe(
      true,
    );
  });

  it.each([
    ['a negative fileSize', { fileSize: -1 }],
    ['a fractional fileSize', { fileSize: 1.5 }],
    ['an unsafe fileSize', { fileSize: Number.MAX_SAFE_INTEGER + 1 }],
    ['a string fileSize', { fileSize: '1024' }],
    ['a zero chunkSize', { chunkSize: 0 }],
    ['a fractional chunkSize', { chunkSize: 5.5 }],
    ['a chunkSize above 5 GiB', { chunkSize: 5 * 1024 ** 3 + 1 }],
    ['an empty fileName', { fileName: '' }],
    ['a fileName of spaces', { fileName: '   ' }],
    ['a fileName of dots', { fileName: '..' }],
    ['a fileName with NUL', { fileName: 'a\u0000b.txt' }],
    ['a fileName with a newline', { fileName: 'a\nb.txt' }],
    ['a fileName with DEL', { fileName: 'a\u007fb.txt' }],
    ['a fileName with a lone surrogate', { fileName: 'a\ud800b.txt' }],
    ['a fileName over 255 characters', { fileName: `${'a'.repeat(252)}.txt` }],
    ['a fileName with a right-to-left override', { fileName: 'a\u202Etxt.exe' }],
    ['a fileName with a zero-width space', { fileName: 'a\u200Bb.txt' }],
    ['a contentType that is not a MIME type', { contentType: 'not a type' }],
    ['a contentType with a line break', { contentType: 'text/plain;\r\nx=y' }],
    ['a short sha256', { fileSha256: SHA.slice(1) }],
    [
      'a hex sha256',
      { fileSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    ],
    ['a sha256 with a bad character', { fileSha256: `*${SHA.slice(1)}` }],
    ['an unknown checksum mode', { checksum: 'MD5' }],
  ])('rejects %s', (_label, override) => {
    // Act
    const result = InitiateRequest.safeParse({ ...good, ...override });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(Object.keys(override)[0]);
  });

  it('rejects a missing fileName or fileSize', () => {
    // Act & Assess
    expect(InitiateRequest.safeParse({ fileSize: 1 }).success).toBe(false);
    expect(InitiateRequest.safeParse({ fileName: 'a.txt' }).success).toBe(false);
  });

  describe('metadata', () => {
    const withMetadata = (metadata: unknown) => InitiateRequest.safeParse({ ...good, metadata });

    it('accepts 20 entries and 2 KB in total', () => {
      // Prepare: 2 entries of 2 + 1022 characters = 2048.
      const twenty = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v']));
      const full = { k1: 'x'.repeat(1022), k2: 'y'.repeat(1022) };

      // Act & Assess
      expect(withMetadata(twenty).success).toBe(true);
      expect(withMetadata(full).success).toBe(true);
    });

    it.each([
      ['21 entries', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']))],
      ['more than 2 KB in total', { k1: 'x'.repeat(1022), k2: 'y'.repeat(1023) }],
      ['a value over 1024 characters', { k: 'x'.repeat(1025) }],
      ['a non-ASCII value', { k: 'café' }],
      ['a value with a newline', { k: 'a\nb' }],
      ['a key with a space', { 'bad key': 'v' }],
      ['a key over 64 characters', { ['k'.repeat(65)]: 'v' }],
      ['a number value', { k: 1 }],
      ['the reserved key constructor', { constructor: 'x' }],
      ['the reserved key prototype', { prototype: 'x' }],
      ['the reserved key __proto__', JSON.parse('{"__proto__":"x"}')],
    ])('rejects %s', (_label, metadata) => {
      // Act & Assess
      expect(withMetadata(metadata).success).toBe(false);
    });

    it.each(['constructor', '__proto__', 'prototype'])(
      'names the reserved key %s as the field',
      (key) => {
        // Act
        const result = withMetadata(JSON.parse(`{"${key}":"x"}`));

        // Assess
        expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
          [`metadata.${key}`, 'reserved key'],
        ]);
      },
    );

    it('keeps other Object.prototype names as ordinary keys', () => {
      // Prepare
      const metadata = { toString: 'a', valueOf: 'b', hasOwnProperty: 'c', Constructor: 'd' };

      // Act & Assess
      expect(withMetadata(metadata).data?.metadata).toEqual(metadata);
    });
  });
});

describe('ChunkUrlsRequest', () => {
  const chunks = (n: number) => Array.from({ length: n }, (_, i) => ({ chunkNumber: i }));

  it('accepts 1 to 100 chunks, with or without a checksum', () => {
    // Act & Assess
    expect(
      ChunkUrlsRequest.safeParse({ chunks: [{ chunkNumber: 0, checksumSha256: SHA }] }).success,
    ).toBe(true);
    expect(ChunkUrlsRequest.safeParse({ chunks: chunks(100) }).success).toBe(true);
  });

  it.each([
    ['no chunks', []],
    ['101 chunks', chunks(101)],
    ['a negative chunkNumber', [{ chunkNumber: -1 }]],
    ['a fractional chunkNumber', [{ chunkNumber: 0.5 }]],
    ['chunkNumber 10000', [{ chunkNumber: 10_000 }]],
    ['a string chunkNumber', [{ chunkNumber: '1' }]],
    ['a bad checksum', [{ chunkNumber: 0, checksumSha256: 'abc' }]],
  ])('rejects %s', (_label, list) => {
    // Act & Assess
    expect(ChunkUrlsRequest.safeParse({ chunks: list }).success).toBe(false);
  });

  it('accepts chunkNumber 9999, the last of 10,000', () => {
    // Act & Assess
    expect(ChunkUrlsRequest.safeParse({ chunks: [{ chunkNumber: 9_999 }] }).success).toBe(true);
  });
});

describe('RecordChunkRequest', () => {
  it('accepts a quoted ETag with an optional checksum', () => {
    // Act & Assess
    expect(RecordChunkRequest.parse({ etag: '"abc"', checksumSha256: SHA })).toEqual({
      etag: '"abc"',
      checksumSha256: SHA,
    });
  });

  it.each([
    ['a missing etag', {}],
    ['an empty etag', { etag: '' }],
    ['an etag over 256 characters', { etag: 'e'.repeat(257) }],
    ['a bad checksum', { etag: '"abc"', checksumSha256: `${SHA}=` }],
  ])('rejects %s', (_label, body) => {
    // Act & Assess
    expect(RecordChunkRequest.safeParse(body).success).toBe(false);
  });
});

describe('ChunkParams', () => {
  it('turns the chunk number into a number', () => {
    // Act & Assess
    expect(ChunkParams.parse({ id: 's1', chunkNumber: '42' })).toEqual({
      id: 's1',
      chunkNumber: 42,
    });
    expect(ChunkParams.parse({ id: 's1', chunkNumber: '9999' }).chunkNumber).toBe(9_999);
  });

  it.each(['', 'abc', '-1', '1.5', '1e3', ' 1', '10000', '123456', '0x1'])(
    'rejects chunkNumber %j',
    (chunkNumber) => {
      // Act & Assess
      expect(ChunkParams.safeParse({ id: 's1', chunkNumber }).success).toBe(false);
    },
  );
});

describe('ListQuery', () => {
  it('defaults to every status and 20 items', () => {
    // Act & Assess
    expect(ListQuery.parse({})).toEqual({ status: 'all', limit: 20 });
  });

  it('parses status, limit and cursor', () => {
    // Act & Assess
    expect(ListQuery.parse({ status: 'active', limit: '100', cursor: 'c1' })).toEqual({
      status: 'active',
      limit: 100,
      cursor: 'c1',
    });
  });

  it.each([
    ['status', { status: 'expired' }],
    ['limit', { limit: '0' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: 'ten' }],
    ['limit', { limit: '-5' }],
    ['limit', { limit: '2.5' }],
    ['cursor', { cursor: '' }],
    ['cursor', { cursor: 'c'.repeat(513) }],
    ['cursor', { cursor: 'not/base64url' }],
  ])('rejects a bad %s (%j)', (field, query) => {
    // Act
    const result = ListQuery.safeParse(query);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([field]);
  });
});
