import { describe, expect, it } from 'vitest';
import { redactingReplacer, redactSecrets } from '../../../functions/commons/log-redaction.ts';

const PRESIGNED =
  'http://127.0.0.1:4566/bucket/uploads/alice/f1/a.bin?partNumber=1&uploadId=u1' +
  '&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261121%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20261121T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FwoGZX&X-Amz-Signature=0a1b2c';
const SIGV4 =
  'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261121/us-east-1/s3/aws4_request, ' +
  'SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('redactSecrets', () => {
  it('keeps where a presigned URL pointed and drops its whole query string', () => {
    // Act
    const text = redactSecrets(`PUT ${PRESIGNED} failed`);

    // Assess
    expect(text).toBe('PUT http://127.0.0.1:4566/bucket/uploads/alice/f1/a.bin?[REDACTED] failed');
  });

  it.each([
    [`authorization: Bearer ${JWT}`, 'authorization: Bearer [REDACTED]'],
    [`token=${JWT};`, 'token=[REDACTED-JWT];'],
    ['X-Amz-Signature=deadbeef&x=1', '[REDACTED]&x=1'],
    ['Basic dXNlcjpwYXNz', 'Basic [REDACTED]'],
  ])('scrubs %j', (input, expected) => {
    // Act & Assess
    expect(redactSecrets(input)).toBe(expected);
  });

  it.each([
    [
      'a presigned URL inside another URL',
      `GET https://app.example/done?next=${encodeURIComponent(PRESIGNED)} 302`,
      'GET https://app.example/done?[REDACTED] 302',
    ],
    [
      'a bare percent-encoded presigned URL',
      `next=${encodeURIComponent(PRESIGNED)}`,
      `next=${encodeURIComponent(PRESIGNED.split('?')[0] as string)}%3F[REDACTED]`,
    ],
    [
      'a twice-encoded presigned URL',
      `next=${encodeURIComponent(encodeURIComponent(PRESIGNED))}`,
      `next=${encodeURIComponent(encodeURIComponent(PRESIGNED.split('?')[0] as string))}%253F[REDACTED]`,
    ],
    [
      'encoded signature parameters',
      'q=X-Amz-Signature%3D0a1b2c%26X-Amz-Credential%3DAKIA%252Fx%26partNumber%3D1',
      'q=X-Amz-Signature%3D[REDACTED]%26X-Amz-Credential%3D[REDACTED]%26partNumber%3D1',
    ],
  ])('scrubs %s', (_case, input, expected) => {
    // Act
    const text = redactSecrets(input);

    // Assess
    expect(text).toBe(expected);
    expect(text).not.toMatch(/0a1b2c|AKIA|FwoGZX/);
  });

  it.each([
    ['a SigV4 Authorization header', `authorization: ${SIGV4}`],
    ['a SigV4 Authorization value in JSON', JSON.stringify({ Authorization: SIGV4 })],
  ])('scrubs the credential and signature of %s and keeps the rest', (_case, input) => {
    // Act
    const text = redactSecrets(input);

    // Assess
    expect(text).not.toMatch(/AKIAIOSFODNN7EXAMPLE|fe5f80f77d5fa3be/);
    expect(text).toContain(
      'AWS4-HMAC-SHA256 Credential=[REDACTED], SignedHeaders=host;x-amz-date, Signature=[REDACTED]',
    );
  });

  it.each([
    ['x-amz-security-token: FwoGZXIvYXdz+a/b==', 'x-amz-security-token: [REDACTED]'],
    ['X-Amz-Security-Token: FwoGZXIvYXdz+a/b== next', 'X-Amz-Security-Token: [REDACTED] next'],
    ['{"x-amz-security-token":"FwoGZXIvYXdz+a/b=="}', '{"x-amz-security-token":"[REDACTED]"}'],
    ["{ 'X-Amz-Security-Token': 'FwoGZXIvYXdz' }", "{ 'X-Amz-Security-Token': '[REDACTED]' }"],
    ['?x-amz-security-token=FwoGZXIvYXdz&a=1', '?[REDACTED]&a=1'],
    ['X-Amz-Security-Token%3DFwoGZX%252B%26a%3D1', 'X-Amz-Security-Token%3D[REDACTED]%26a%3D1'],
    ['x-amz-security-token%253DFwoGZX%2526a', 'x-amz-security-token%253D[REDACTED]%2526a'],
  ])('scrubs the session token in %j', (input, expected) => {
    // Act & Assess
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves ordinary log text alone', () => {
    // Arrange
    const text = 'session 4586d446 chunk 3 recorded in 12 ms (ETag "9b2cf535f27731c9")';

    // Act & Assess
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('redactingReplacer', () => {
  it('scrubs strings at any depth of a log line, errors included, and keeps other values', () => {
    // Arrange
    const line = {
      route: 'recordChunk',
      statusCode: 500,
      error: { name: 'Error', message: `boom ${PRESIGNED}`, stack: `Error: Bearer ${JWT}\n at x` },
    };

    // Act
    const printed = JSON.stringify(line, redactingReplacer);

    // Assess
    expect(printed).not.toMatch(/X-Amz-Signature|X-Amz-Credential|eyJ/);
    expect(JSON.parse(printed)).toMatchObject({ route: 'recordChunk', statusCode: 500 });
  });

  it('scrubs credential headers logged as an object, whatever their value looks like', () => {
    // Arrange
    const line = {
      headers: { 'X-Amz-Security-Token': 'FwoGZXIvYXdz', authorization: SIGV4, host: 's3.local' },
      query: { 'x-amz-signature': '0a1b2c', 'X-Amz-Credential': 'AKIA/x', partNumber: '1' },
    };

    // Act
    const printed = JSON.parse(JSON.stringify(line, redactingReplacer));

    // Assess
    expect(printed).toEqual({
      headers: {
        'X-Amz-Security-Token': '[REDACTED]',
        authorization:
          'AWS4-HMAC-SHA256 Credential=[REDACTED], SignedHeaders=host;x-amz-date, Signature=[REDACTED]',
        host: 's3.local',
      },
      query: { 'x-amz-signature': '[REDACTED]', 'X-Amz-Credential': '[REDACTED]', partNumber: '1' },
    });
  });
});
