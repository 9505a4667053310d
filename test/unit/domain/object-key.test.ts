import { describe, expect, it } from 'vitest';
import { buildObjectKey, sanitizeFileName } from '../../../src/domain/object-key.ts';

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
