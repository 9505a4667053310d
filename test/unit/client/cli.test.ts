import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommandLine, USAGE, UsageError } from '../../../client/cli/args.ts';
import {
  formatBytes,
  formatEta,
  formatRate,
  parseSize,
  progressLine,
} from '../../../client/cli/format.ts';
import { errorLine, run } from '../../../client/cli/run.ts';
import { UploadApiError } from '../../../client/sdk/errors.ts';

const MIB = 1024 * 1024;
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('CLI formatting', () => {
  it('formats sizes, rates and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * MIB)).toBe('64.0 MiB');
    expect(formatRate(12_345_678)).toBe('12.3 MB/s');
    expect(formatEta(null)).toBe('--:--');
    expect(formatEta(0)).toBe('0:00');
    expect(formatEta(61.2)).toBe('1:02');
    expect(formatEta(3 * 3600 + 5)).toBe('3:00:05');
  });

  it('draws a bar proportional to the percentage', () => {
    const line = progressLine(
      {
        bytesUploaded: 30 * MIB,
        sentBytes: 32 * MIB,
        confirmedBytes: 30 * MIB,
        totalBytes: 64 * MIB,
        percent: 46.88,
        bytesPerSecond: 10_000_000,
        etaSeconds: 4,
        chunksUploaded: 4,
        totalChunks: 8,
        chunksSent: 4,
      },
      10,
    );
    expect(line).toBe(
      '[#####.....] 32.0 MiB / 64.0 MiB  50.0% (46.9% recorded)  10.0 MB/s  ETA 0:04',
    );
  });

  it('parses chunk sizes with binary units', () => {
    expect(parseSize('8388608')).toBe(8 * MIB);
    expect(parseSize('8MiB')).toBe(8 * MIB);
    expect(parseSize('8m')).toBe(8 * MIB);
    expect(parseSize('1G')).toBe(1024 * MIB);
    expect(parseSize('5 MB')).toBe(5 * MIB);
    expect(parseSize('eight')).toBeUndefined();
    expect(parseSize('-1')).toBeUndefined();
  });
});

describe('parseCommandLine', () => {
  const env = { UPLOAD_API_URL: 'http://env:1', UPLOAD_API_TOKEN: 'env-token' };

  it('reads upload options with environment fallbacks', () => {
    expect(
      parseCommandLine(['upload', 'f.bin', '--concurrency', '8', '--chunk-size', '8MiB'], env),
    ).toEqual({
      command: {
        name: 'upload',
        file: 'f.bin',
        concurrency: 8,
        chunkSize: 8 * MIB,
        contentType: undefined,
        checksum: true,
        resume: true,
      },
      connection: { apiUrl: 'http://env:1', token: 'env-token' },
    });
    expect(parseCommandLine(['status', 'x', '--api', 'http://a', '--token', 't'], env)).toEqual({
      command: { name: 'status', id: 'x' },
      connection: { apiUrl: 'http://a', token: 't' },
    });
    expect(parseCommandLine(['delete', 'x'], env).command).toEqual({ name: 'delete', id: 'x' });
    expect(parseCommandLine(['cancel', 'x'], env).command).toEqual({ name: 'cancel', id: 'x' });
    expect(parseCommandLine(['download', 'x', 'out.bin'], {}).command).toEqual({
      name: 'download',
      id: 'x',
      path: 'out.bin',
    });
    expect(parseCommandLine(['list'], {}).connection).toEqual({
      apiUrl: 'http://127.0.0.1:3000',
      token: undefined,
    });
  });

  it('rejects wrong usage with a UsageError', () => {
    for (const argv of [
      ['frob'],
      ['upload'],
      ['upload', 'a', 'b'],
      ['upload', 'a', '--concurrency', '0'],
      ['upload', 'a', '--chunk-size', 'big'],
      ['upload', 'a', '--bogus'],
      ['list', '--status', 'weird'],
      ['delete'],
      ['delete', 'a', 'b'],
    ])
      expect(() => parseCommandLine(argv, env), argv.join(' ')).toThrow(UsageError);
  });

  it('answers help', () => {
    expect(parseCommandLine([], env).command).toEqual({ name: 'help' });
    expect(parseCommandLine(['upload', '-h'], env).command).toEqual({ name: 'help' });
    expect(USAGE).toMatch(/^ {2}cancel <id> .*unfinished/m);
    expect(USAGE).toMatch(/^ {2}delete <id> .*finished file/m);
  });
});

describe('the delete command', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** Runs the CLI against a fetch that answers `answer` and logs the requests. */
  async function runWith(argv: string[], answer: Response) {
    const requests: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      requests.push(`${init?.method} ${url}`);
      return answer;
    });
    const out: string[] = [];
    const err: string[] = [];
    const sink = (lines: string[]) =>
      ({ write: (text: string) => lines.push(text) }) as unknown as NodeJS.WritableStream;
    const code = await run([...argv, '--api', 'http://api.test', '--token', 't'], {
      stdout: sink(out),
      stderr: sink(err),
      env: {},
      signal: new AbortController().signal,
    });
    return { code, requests, stdout: out.join(''), stderr: err.join('') };
  }

  it('deletes the finished file through DELETE /uploads/{id}/file', async () => {
    const result = await runWith(
      ['delete', 'abc'],
      json({ success: true, data: { id: 'abc', status: 'deleted' } }),
    );
    expect(result).toMatchObject({ code: 0, stdout: 'deleted abc\n', stderr: '' });
    expect(result.requests).toEqual(['DELETE http://api.test/api/v1/uploads/abc/file']);
  });

  it('fails with one line when the session is not uploaded', async () => {
    const body = { success: false, error: { code: 'INVALID_STATE', message: 'Not uploaded' } };
    const result = await runWith(['delete', 'abc'], json(body, 409));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: Not uploaded (INVALID_STATE, HTTP 409)\n');
  });
});

describe('errorLine', () => {
  it('is one line with the API code and status', () => {
    expect(
      errorLine(new UploadApiError('SESSION_NOT_FOUND', 'Upload session not found', 404)),
    ).toBe('Upload session not found (SESSION_NOT_FOUND, HTTP 404)');
    expect(errorLine(Object.assign(new Error('x'), { code: 'ENOENT', path: '/nope' }))).toBe(
      'no such file: /nope',
    );
    expect(errorLine(new Error('first\n    at stack'))).toBe('first');
  });
});
