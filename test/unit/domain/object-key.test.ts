import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildObjectKey,
  MAX_KEY_BYTES,
  sanitizeFileName,
  userSegment,
} from '../../../src/domain/object-key.ts';

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Any sequence of UTF-16 code units: lone surrogates, controls, every plane. */
const anyUnits = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Subs as an issuer could send them: short and safe, long, non-ASCII, or not even valid UTF-16. */
const anySub = fc.oneof(
  fc.constantFrom('alice', '..', '.', '', '\uD800', '\uDC00', '\uFFFD', 'auth0|abc', 'ü'),
  fc.string({ unit: 'grapheme', maxLength: 2_000 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  anyUnits(300),
);

const anyName = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 600 }),
  fc.string({ unit: 'binary', maxLength: 600 }),
  anyUnits(600),
);

describe('buildObjectKey', () => {
  it('puts the file under the user prefix and the file id', () => {
    // Act & Assess
    expect(buildObjectKey('alice', 'f1', 'video.mp4')).toBe('uploads/alice/f1/video.mp4');
  });

  it('encodes the user id so it stays a single segment', () => {
    // Act
    const key = buildObjectKey('tenant/bob x', 'f1', 'a.txt');

    // Assess
    expect(key).toBe('uploads/tenant%2Fbob%20x/f1/a.txt');
  });

  it.each([
    '../../etc/passwd',
    '..\\..\\windows\\system32',
    '/abs/x',
    '../other-user/f9/evil',
    '..',
  ])('keeps %j inside the prefix', (fileName) => {
    // Act
    const key = buildObjectKey('alice', 'f1', fileName);

    // Assess
    expect(key.startsWith('uploads/alice/f1/')).toBe(true);
    expect(key.split('/')).toHaveLength(4);
    expect(key).not.toContain('..');
    expect(key).not.toContain('\\');
  });
});

describe('sanitizeFileName', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['a\\b\\c.txt', 'c.txt'],
    ['/abs/x', 'x'],
    ['report final (v2).pdf', 'report_final_v2_.pdf'],
    ['.env', 'env'],
    ['my-file_1.tar.gz', 'my-file_1.tar.gz'],
  ])('turns %j into %j', (fileName, expected) => {
    // Act & Assess
    expect(sanitizeFileName(fileName)).toBe(expected);
  });

  it.each(['.', '..', '...', '', 'dir/', '///', '???'])(
    'falls back to "file" for %j',
    (fileName) => {
      // Act & Assess
      expect(sanitizeFileName(fileName)).toBe('file');
    },
  );

  it('keeps unicode letters and normalizes them to NFC', () => {
    // Prepare: "é" as e + combining acute accent.
    const decomposed = 're\u0301sume\u0301 данные 日本.pdf';

    // Act
    const name = sanitizeFileName(decomposed);

    // Assess
    expect(name).toBe('r\u00e9sum\u00e9_данные_日本.pdf');
  });

  it('replaces control characters', () => {
    // Act & Assess
    expect(sanitizeFileName('a\u0000b\nc\u007f.txt')).toBe('a_b_c_.txt');
  });

  it('caps very long names at 200 characters', () => {
    // Act
    const name = sanitizeFileName(`${'x'.repeat(500)}.bin`);

    // Assess
    expect(name).toBe('x'.repeat(200));
  });
});

describe('keys from hostile input', () => {
  it('cuts long names by characters, never leaving half a surrogate pair', () => {
    const name = `a${'\u{20000}'.repeat(127)}`;

    const key = buildObjectKey('alice', 'f1', name);

    expect(key.isWellFormed()).toBe(true);
    expect(() => encodeURIComponent(key)).not.toThrow();
  });

  it('never lets a user id of dots form a relative path segment', () => {
    const key = buildObjectKey('..', 'f1', 'a.txt');

    expect(key.split('/')).not.toContain('..');
    expect(key.startsWith('uploads/%2E%2E/f1/')).toBe(true);
  });
});

describe('key size and user segment', () => {
  it('fits every key in 1,024 UTF-8 bytes, whatever the sub, file id and name', () => {
    const fileIds = fc.oneof(fc.uuid(), fc.stringMatching(/^[a-z0-9-]{1,700}$/));

    fc.assert(
      fc.property(anySub, fileIds, anyName, (sub, fileId, name) => {
        const key = buildObjectKey(sub, fileId, name);

        expect(utf8Bytes(key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
        expect(key.isWellFormed()).toBe(true);
        const segments = key.split('/');
        expect(segments).toHaveLength(4);
        expect(segments[1]).toBe(userSegment(sub));
        expect(segments[2]).toBe(fileId);
        expect(sanitizeFileName(name).startsWith(segments[3] as string)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives each sub one safe, short segment, the same every time', () => {
    fc.assert(
      fc.property(anySub, (sub) => {
        const segment = userSegment(sub);

        expect(segment).toBe(userSegment(sub));
        expect(segment).toMatch(/^[A-Za-z0-9!'()*._~%-]{1,128}$/);
        expect(segment).not.toMatch(/^\.{1,2}$/);
      }),
      { numRuns: 500 },
    );
  });

  it('gives distinct subs distinct segments', () => {
    fc.assert(
      fc.property(anySub, anySub, (a, b) => {
        fc.pre(a !== b);

        expect(userSegment(a)).not.toBe(userSegment(b));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['two lone surrogates', '\uD800', '\uDC00'],
    ['a lone surrogate and U+FFFD', '\uD800', '\uFFFD'],
    ['long subs with the same start', 'x'.repeat(2_000), `${'x'.repeat(1_999)}y`],
    ['long subs one surrogate apart', 'é'.repeat(2_000), `${'é'.repeat(2_000)}\uD800`],
  ])('keeps %s apart', (_case, a, b) => {
    expect(userSegment(a)).not.toBe(userSegment(b));
  });

  it('keeps a short, well-formed sub readable as before', () => {
    expect(userSegment('alice')).toBe('alice');
    expect(userSegment('tenant/bob x')).toBe('tenant%2Fbob%20x');
    expect(userSegment('carol.smith')).toBe('carol%2Esmith');
  });

  it('hashes a long, non-ASCII or ill-formed sub behind a readable prefix', () => {
    const long = userSegment(`google-oauth2|${'é'.repeat(2_000)}`);
    const lone = userSegment('\uD800');

    expect(long).toMatch(/^google-oauth2\.[0-9a-f]{32}$/);
    expect(lone).toMatch(/^user\.[0-9a-f]{32}$/);
  });

  it('cuts the name at a code point, to what the key has left', () => {
    const fileId = 'f'.repeat(900);

    const key = buildObjectKey('alice', fileId, '日'.repeat(200));

    const name = key.split('/')[3] as string;
    expect(utf8Bytes(key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
    expect(MAX_KEY_BYTES - utf8Bytes(key)).toBeLessThan(3);
    expect(name).toBe('日'.repeat(name.length));
  });
});
