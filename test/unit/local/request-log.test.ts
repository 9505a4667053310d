import { describe, expect, it } from 'vitest';
import {
  errorOf,
  formatRequestLine,
  printable,
  readLogOptions,
  splitHandlerOutput,
} from '../../../local/request-log.ts';

const at = new Date(2026, 11, 1, 9, 5, 7, 42); // local time 09:05:07.042
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const PRESIGNED =
  'http://127.0.0.1:4566/uploads-local/a/b?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20261201&X-Amz-Signature=0123456789abcdef';

describe('formatRequestLine', () => {
  it('prints time, method, route, status, duration and session on one line', () => {
    // Act
    const line = formatRequestLine({
      startedAt: at,
      method: 'put',
      routeId: 'recordChunks',
      route: '/uploads/{id}/chunks',
      status: 200,
      durationMs: 47.6,
      handlerMs: 45,
      sessionId: '3f9c2a10-5b7e-4c1d-9a8b-0c2d4e6f8a1b',
    });

    // Assess
    expect(line).toBe(
      '09:05:07.042 PUT    /uploads/{id}/chunks               200    48 ms  session 3f9c2a10-5b7e-4c1d-9a8b-0c2d4e6f8a1b',
    );
  });

  it('adds the code and cause of an error, and leaves out what a request without a session lacks', () => {
    // Act
    const line = formatRequestLine({
      startedAt: at,
      method: 'POST',
      route: '/uploads/initiate',
      status: 429,
      durationMs: 3,
      error: { code: 'TOO_MANY_ACTIVE_UPLOADS', cause: 'At most 20 uploads may be active' },
    });

    // Assess
    expect(line).toBe(
      '09:05:07.042 POST   /uploads/initiate                  429     3 ms  TOO_MANY_ACTIVE_UPLOADS: At most 20 uploads may be active',
    );
  });

  it('never prints a token, a signature or a control character, whatever the cause or path holds', () => {
    // Act
    const line = formatRequestLine({
      startedAt: at,
      method: 'GET',
      route: `/x/${JWT}`,
      status: 503,
      durationMs: 1,
      sessionId: 'abc\u001b[31m',
      error: {
        code: 'STORAGE_UNAVAILABLE',
        cause: `Error: PUT ${PRESIGNED} failed\nAuthorization: Bearer ${JWT}`,
      },
    });

    // Assess
    expect(line).not.toContain(JWT);
    expect(line).not.toContain('eyJ');
    expect(line).not.toContain('0123456789abcdef');
    expect(line).not.toContain('X-Amz-Credential');
    expect([...line].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
    expect(line).toContain('session abc?[31m');
    expect(line).toContain(
      'STORAGE_UNAVAILABLE: Error: PUT http://127.0.0.1:4566/uploads-local/a/b?[REDACTED]',
    );
    expect(line.split('\n')).toHaveLength(1);
  });

  it('cuts long free text short', () => {
    expect(printable('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('errorOf', () => {
  const body = (code: string, message: string) =>
    JSON.stringify({ success: false, error: { code, message } });

  it('takes a 4xx code and message from the envelope', () => {
    expect(errorOf(409, body('CHUNKS_MISSING', '2 chunks are missing'))).toEqual({
      code: 'CHUNKS_MISSING',
      cause: '2 chunks are missing',
    });
  });

  it("takes a 5xx cause from the handler's logged error, which the envelope hides", () => {
    // Prepare: a `request failed` line as Powertools prints it.
    const access = {
      message: 'request failed',
      outcome: 'STORAGE_UNAVAILABLE',
      error: {
        name: 'StorageUnavailableError',
        message: 'S3 is unavailable',
        cause: { name: 'TimeoutError', message: 'socket hang up' },
      },
    };

    // Act
    const error = errorOf(503, body('STORAGE_UNAVAILABLE', 'Storage is unavailable'), access);

    // Assess
    expect(error).toEqual({
      code: 'STORAGE_UNAVAILABLE',
      cause: 'StorageUnavailableError: S3 is unavailable <- TimeoutError: socket hang up',
    });
  });

  it("names the gateway's own answers, and nothing for a success", () => {
    expect(errorOf(404, '{"message":"Not Found"}')).toEqual({
      code: 'HTTP_404',
      cause: 'Not Found',
    });
    expect(errorOf(200, body('X', 'y'))).toBeUndefined();
  });
});

describe('splitHandlerOutput', () => {
  it('separates the access line, other records, metrics and plain text', () => {
    // Prepare
    const output = [
      JSON.stringify({ level: 'INFO', message: 'request', route: 'initiate', statusCode: 201 }),
      JSON.stringify({ level: 'WARN', message: 'slow storage' }),
      JSON.stringify({ _aws: { CloudWatchMetrics: [] }, UploadsInitiated: 1 }),
      `a stray line with Bearer ${JWT}`,
      '',
    ].join('\n');

    // Act
    const split = splitHandlerOutput(output);

    // Assess
    expect(split.access).toMatchObject({ message: 'request', route: 'initiate' });
    expect(split.other).toEqual(['WARN slow storage']);
    expect(split.metrics).toHaveLength(1);
    expect(split.text).toEqual(['a stray line with Bearer [REDACTED]']);
  });
});

describe('readLogOptions', () => {
  it('defaults to readable lines without metrics', () => {
    expect(readLogOptions([], {})).toEqual({ format: 'pretty', metrics: false });
  });

  it('reads LOG_FORMAT and LOG_METRICS, and flags before them', () => {
    expect(readLogOptions([], { LOG_FORMAT: 'JSON', LOG_METRICS: '1' })).toEqual({
      format: 'json',
      metrics: true,
    });
    expect(
      readLogOptions(['--log-format', 'pretty', '--no-metrics'], {
        LOG_FORMAT: 'json',
        LOG_METRICS: 'true',
      }),
    ).toEqual({ format: 'pretty', metrics: false });
    expect(readLogOptions(['--log-format=json', '--metrics'], {})).toEqual({
      format: 'json',
      metrics: true,
    });
  });

  it('refuses an unknown format or option', () => {
    expect(() => readLogOptions(['--log-format', 'xml'], {})).toThrow(/pretty or json/);
    expect(() => readLogOptions(['--verbose'], {})).toThrow(/unknown option --verbose/);
  });
});
