import { describe, expect, it } from 'vitest';
import { normalizeEtag } from '../../../../src/domain/use-cases/record-chunk.ts';

describe('normalizeEtag', () => {
  it.each([
    ['"abc123"', 'abc123'],
    ['abc123', 'abc123'],
    ['W/"abc123"', 'abc123'],
    ['  "abc123"  ', 'abc123'],
    [' W/"abc123" ', 'abc123'],
  ])('turns %j into %j', (etag, expected) => {
    // Act & Assess
    expect(normalizeEtag(etag)).toBe(expected);
  });

  it('treats the quoted and unquoted forms S3 and browsers report as equal', () => {
    // Act & Assess
    expect(normalizeEtag('"9b2cf535f27731c974343645a3985328"')).toBe(
      normalizeEtag('9b2cf535f27731c974343645a3985328'),
    );
  });

  it('keeps different ETags different', () => {
    // Act & Assess
    expect(normalizeEtag('"abc"')).not.toBe(normalizeEtag('"abd"'));
    expect(normalizeEtag('"abc-2"')).not.toBe(normalizeEtag('"abc"'));
  });
});
