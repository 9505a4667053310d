import { describe, expect, it } from 'vitest';
import {
  apiRouteOf,
  callCounts,
  RECORD_ROUTES,
  SIGN_ROUTES,
} from '../../../bench/upload/api-routes.ts';
import { isTransient, RetryLog } from '../../../bench/upload/attempts.ts';
import { DEFAULT_SETTINGS, readSettings } from '../../../bench/upload/settings.ts';
import { toolsAt } from '../../../bench/upload/throughput.ts';
import { UploadApiError, UploadStorageError } from '../../../client/sdk/errors.ts';

describe('apiRouteOf and callCounts', () => {
  it('names the upload routes with the server table', () => {
    expect(apiRouteOf('POST', '/api/v1/uploads/initiate')).toBe('initiate');
    expect(apiRouteOf('POST', '/api/v1/uploads/s/chunks')).toBe('chunkUrls');
    expect(apiRouteOf('put', '/api/v1/uploads/s/chunks/7')).toBe('recordChunk');
    expect(apiRouteOf('POST', '/api/v1/uploads/s/complete')).toBe('complete');
    expect(apiRouteOf('GET', '/elsewhere')).toBe('unmatched');
  });

  it('counts the batch record route as a record, whether or not the table has it', () => {
    const batch = apiRouteOf('PUT', '/api/v1/uploads/s/chunks');
    expect(batch).not.toBe('unmatched');
    expect(RECORD_ROUTES.has(batch)).toBe(true);
    expect(RECORD_ROUTES.has('recordChunk')).toBe(true);
    expect(SIGN_ROUTES.has('chunkUrls')).toBe(true);
  });

  it('sums calls by kind', () => {
    const batch = apiRouteOf('PUT', '/api/v1/uploads/s/chunks');
    expect(
      callCounts({
        initiate: 1,
        chunkUrls: 2,
        recordChunk: 3,
        [batch]: 4,
        complete: 1,
        progress: 5,
      }),
    ).toEqual({ sign: 2, record: 7, initiate: 1, complete: 1, resume: 0, other: 5, total: 16 });
  });
});

describe('readSettings', () => {
  it('defaults to a 128 MiB file, 8 MiB parts, concurrency 4, 2 runs at 0, 60 and 120 ms', () => {
    expect(readSettings([], {})).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      fileMiB: 128,
      partMiB: 8,
      concurrency: 4,
      runs: 2,
      latenciesMs: [0, 60, 120],
    });
  });

  it('reads environment variables, and flags before them', () => {
    const settings = readSettings(['--file-mib', '32', '--latencies', '120, 0,60,0'], {
      BENCH_FILE_MIB: '64',
      BENCH_RUNS: '1',
      BENCH_LIB_STORAGE_DELAYED: 'false',
      BENCH_CLI_FILE_MIB: '0',
      BENCH_RESULTS_DIR: '/tmp/smoke',
    });
    expect(settings).toMatchObject({
      fileMiB: 32,
      runs: 1,
      latenciesMs: [0, 60, 120],
      libStorageDelayed: false,
      cliFileMiB: 0,
      resultsDir: '/tmp/smoke',
    });
  });

  it('prices 1 TiB uploaded as 1 GiB files in 5, 16 and 64 MiB chunks by default', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      costFileMiB: 1024,
      costChunksMiB: [5, 16, 64],
      costTotalGiB: 1024,
    });
    expect(readSettings(['--cost-chunks-mib', '64,8'], { BENCH_COST_FILE_MIB: '0' })).toMatchObject(
      { costFileMiB: 0, costChunksMiB: [8, 64] },
    );
    expect(() => readSettings(['--cost-chunks-mib', '4'], {})).toThrow(/--cost-chunks-mib/);
  });

  it('refuses values it cannot use', () => {
    expect(() => readSettings(['--runs', 'two'], {})).toThrow(/--runs/);
    expect(() => readSettings([], { BENCH_PART_MIB: '4' })).toThrow(/BENCH_PART_MIB/);
    expect(() => readSettings(['--latencies', '-5'], {})).toThrow(/--latencies/);
    expect(() => readSettings(['--file-mib', '8'], {})).toThrow(/larger than a part/);
    expect(() => readSettings(['--no-such-flag', '1'], {})).toThrow();
  });
});

describe('toolsAt', () => {
  it('adds lib-storage with delayed control calls only where there is a latency to add', () => {
    expect(toolsAt(0, { libStorageDelayed: true })).toEqual(['sdk', 'lib-storage']);
    expect(toolsAt(120, { libStorageDelayed: true })).toEqual([
      'sdk',
      'lib-storage',
      'lib-storage-delayed',
    ]);
    expect(toolsAt(120, { libStorageDelayed: false })).toEqual(['sdk', 'lib-storage']);
  });
});

describe('isTransient', () => {
  it('retries what a retry can fix', () => {
    expect(isTransient(new UploadApiError('INTERNAL_ERROR', 'boom', 500))).toBe(true);
    expect(isTransient(new UploadApiError('RATE_LIMITED', 'slow down', 429))).toBe(true);
    expect(isTransient(new UploadApiError('NETWORK_ERROR', 'reset', 0))).toBe(true);
    expect(isTransient(new UploadStorageError('HTTP 503', 503, 2))).toBe(true);
    expect(isTransient({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransient({ name: 'SlowDown', $fault: 'server' })).toBe(true);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isTransient(new TypeError('fetch failed', { cause: reset }))).toBe(true);
    expect(isTransient(new Error('wrapped', { cause: new UploadApiError('X', 'y', 502) }))).toBe(
      true,
    );
  });

  it('does not retry answers and bugs a retry would only hide', () => {
    expect(isTransient(new UploadApiError('NOT_FOUND', 'no route', 404))).toBe(false);
    expect(isTransient(new UploadApiError('CHUNKS_MISSING', 'missing', 400))).toBe(false);
    expect(isTransient({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isTransient(new Error('stored 5 bytes, expected 6'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});

describe('RetryLog.attempt', () => {
  it('does a transiently failed step again, cleans up, and reports the retry', async () => {
    const log = new RetryLog();
    const seen: number[] = [];
    let cleanups = 0;

    const result = await log.attempt(
      'throughput sdk +120 ms run 1',
      3,
      async (attempt) => {
        seen.push(attempt);
        if (attempt === 1) throw new UploadApiError('INTERNAL_ERROR', 'moto said <html>', 500);
        return 'done';
      },
      async () => {
        cleanups++;
      },
    );

    expect(result).toBe('done');
    expect(seen).toEqual([1, 2]);
    expect(cleanups).toBe(1);
    expect(log.retries).toEqual([
      {
        step: 'throughput sdk +120 ms run 1',
        attempt: 1,
        error: expect.stringContaining('HTTP 500'),
      },
    ]);
    expect(log.count('throughput')).toBe(1);
    expect(log.count('latency')).toBe(0);
  });

  it('throws a non-transient failure at once, and a transient one after the last attempt', async () => {
    const log = new RetryLog();
    let calls = 0;
    await expect(
      log.attempt('a', 3, async () => {
        calls++;
        throw new UploadApiError('NOT_FOUND', 'no such route', 404);
      }),
    ).rejects.toThrow('no such route');
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      log.attempt('b', 2, async () => {
        calls++;
        throw new UploadApiError('INTERNAL_ERROR', 'again', 500);
      }),
    ).rejects.toThrow('again');
    expect(calls).toBe(2);
    expect(log.retries.map((r) => r.step)).toEqual(['b']);
  });
});
