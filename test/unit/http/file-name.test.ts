import { describe, expect, it } from 'vitest';
import { FORBIDDEN_NAME_CODE_POINTS, InitiateRequest } from '../../../src/http/schemas.ts';

const REFUSED_CATEGORIES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;
const nameIsValid = (fileName: string) =>
  InitiateRequest.safeParse({ fileName, fileSize: 1 }).success;

describe('file name characters', () => {
  it('lists exactly the code points of Unicode categories Cc, Cf, Zl and Zp', () => {
    // Prepare
    const listed = new Set<number>();
    for (const [from, to] of FORBIDDEN_NAME_CODE_POINTS)
      for (let cp = from; cp <= to; cp++) listed.add(cp);

    // Act
    const disagreements: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (isSurrogate(cp)) continue;
      if (REFUSED_CATEGORIES.test(String.fromCodePoint(cp)) !== listed.has(cp))
        disagreements.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`);
    }

    // Assess
    expect(disagreements).toEqual([]);
  });

  it('refuses each listed code point inside a name', () => {
    // Act
    const accepted = FORBIDDEN_NAME_CODE_POINTS.flat().filter((cp) =>
      nameIsValid(`a${String.fromCodePoint(cp)}b.txt`),
    );

    // Assess
    expect(accepted).toEqual([]);
  });

  it.each([
    ['letters and digits', 'report-2026_v2.pdf'],
    ['accents and CJK', 'résumé 日本語.txt'],
    ['an emoji (two UTF-16 units)', 'photo 📷.jpg'],
    ['a combining mark', 'e\u0301.txt'],
    ['a no-break space inside', 'a\u00a0b.txt'],
    ['dots and spaces around text', ' . a . '],
    ['a hidden file', '.env'],
    ['255 emoji (510 UTF-16 units)', '📷'.repeat(255)],
  ])('accepts %s', (_label, fileName) => {
    // Act & Assess
    expect(nameIsValid(fileName)).toBe(true);
  });

  it.each([
    ['256 code points', '📷'.repeat(256)],
    ['only spaces of several kinds', ' \u00a0\u3000'],
    ['only dots between spaces', ' ... '],
    ['a lone high surrogate', 'a\ud83db.txt'],
    ['a tag character (U+E0041)', `a${String.fromCodePoint(0xe0041)}.txt`],
  ])('refuses %s', (_label, fileName) => {
    // Act & Assess
    expect(nameIsValid(fileName)).toBe(false);
  });
});
