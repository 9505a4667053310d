import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../../client/cli/args.ts';
import {
  formatBytes,
  formatEta,
  formatRate,
  parseSize,
  progressLine,
} from '../../../client/cli/format.ts';
import { errorLine } from '../../../client/cli/run.ts';
import { UploadApiError } from '../../../client/sdk/errors.ts';

const MIB = 1024 * 1024;

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
        bytesUploaded: 32 * MIB,
        totalBytes: 64 * MIB,
        percent: 50,
        bytesPerSecond: 10_000_000,
        etaSeconds: 4,
        chunksUploaded: 4,
        totalChunks: 8,
        chunksSent: 4,
      },
      10,
    );
    expect(line).toBe('[#####.....] 32.0 MiB / 64.0 MiB  50.0%  10.0 MB/s  ETA 0:04');
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
    ])
      expect(() => parseCommandLine(argv, env), argv.join(' ')).toThrow(UsageError);
  });

  it('answers help', () => {
    expect(parseCommandLine([], env).command).toEqual({ name: 'help' });
    expect(parseCommandLine(['upload', '-h'], env).command).toEqual({ name: 'help' });
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
