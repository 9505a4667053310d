import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  resolveRetry,
  retryDelay,
  sleep,
} from '../../../client/sdk/retry.ts';

const options = { baseDelayMs: 100, maxDelayMs: 1000 };

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(max, base * 2^attempt))', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** attempt);
      expect(backoffDelay(attempt, options, () => 0)).toBe(0);
      const top = backoffDelay(attempt, options, () => 0.999_999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(ceiling - 1);
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(attempt, options);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('doubles the ceiling per attempt until the cap', () => {
    const half = (attempt: number) => backoffDelay(attempt, options, () => 0.5);
    expect([0, 1, 2, 3, 4, 5].map(half)).toEqual([50, 100, 200, 400, 500, 500]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date relative to now, a past date as 0', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent and malformed values', () => {
    for (const value of [null, undefined, '', '-1', '1.5', 'soon', '10s'])
      expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('retryDelay', () => {
  const resolved = { ...DEFAULT_RETRY, ...options, maxRetryAfterMs: 30_000 };

  it('waits at least Retry-After (capped), with jittered backoff on top', () => {
    expect(retryDelay(5, '2', resolved, () => 0.9)).toBe(2000 + 900);
    expect(retryDelay(5, '2', resolved, () => 0)).toBe(2000);
    expect(retryDelay(0, '0', resolved, () => 0.9)).toBe(90);
    expect(retryDelay(0, '3600', resolved, () => 0.9)).toBe(30_000 + 90);
  });

  it('falls back to jittered backoff', () => {
    expect(retryDelay(2, null, resolved, () => 0.5)).toBe(200);
    expect(retryDelay(2, 'garbage', resolved, () => 0.5)).toBe(200);
  });
});

describe('isRetryableStatus', () => {
  it('retries timeouts, throttling and server errors only', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 401, 403, 404, 409, 410, 413, 422].some(isRetryableStatus)).toBe(false);
  });
});

describe('resolveRetry', () => {
  it('fills defaults and ignores undefined overrides', () => {
    expect(resolveRetry(undefined)).toEqual(DEFAULT_RETRY);
    expect(resolveRetry({ retries: 2, baseDelayMs: undefined })).toEqual({
      ...DEFAULT_RETRY,
      retries: 2,
    });
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
