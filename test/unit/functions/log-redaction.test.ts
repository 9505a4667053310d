import { describe, expect, it } from 'vitest';
import { redactingReplacer, redactSecrets } from '../../../functions/commons/log-redaction.ts';

const PRESIGNED =
  'http://127.0.0.1:4566/bucket/uploads/alice/f1/a.bin?partNumber=1&uploadId=u1' +
  '&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261121%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20261121T000000Z&X-Amz-Expires=900&X-Amz-Security-Token=FwoGZX&X-Amz-Signature=0a1b2c';
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
});
