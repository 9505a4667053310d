import { describe, expect, it } from 'vitest';
import { nearestRank, percentile, RouteStats } from '../../../../bench/load/stats.ts';

describe('percentile (nearest rank)', () => {
  it('is the smallest value with at least p% of the values at or below it', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

    expect(nearestRank(hundred, 50)).toBe(50);
    expect(nearestRank(hundred, 99)).toBe(99);
    expect(nearestRank(hundred, 100)).toBe(100);
    expect(nearestRank(hundred, 0)).toBe(1);
    expect(nearestRank([10, 20, 30], 50)).toBe(20);
    expect(nearestRank([10, 20, 30, 40], 50)).toBe(20);
    expect(nearestRank([10, 20, 30, 40], 99)).toBe(40);
  });

  it('sorts its input and leaves it untouched; one value is every percentile; none is NaN', () => {
    const values = [30, 10, 20];

    expect(percentile(values, 50)).toBe(20);
    expect(values).toEqual([30, 10, 20]);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('RouteStats', () => {
  it('counts outcomes per route, errors by key, and leaves aborted requests out of latencies', () => {
    const stats = new RouteStats();
    for (const ms of [10, 20, 30, 40]) stats.record('recordChunk', ms, { kind: 'ok' });
    stats.record('recordChunk', 500, { kind: 'error', key: '503 STORAGE_UNAVAILABLE' });
    stats.record('recordChunk', 600, { kind: 'error', key: '503 STORAGE_UNAVAILABLE' });
    stats.record('recordChunk', 70, { kind: 'error', key: '404 CHUNK_NOT_UPLOADED' });
    stats.record('recordChunk', 99_999, { kind: 'aborted' });
    stats.record('initiate', 5, { kind: 'ok' });

    const [initiate, record] = stats.summarize(2_000, ['initiate', 'recordChunk']);

    expect(initiate).toMatchObject({ route: 'initiate', count: 1, ok: 1, errors: 0, p50Ms: 5 });
    expect(record).toMatchObject({
      route: 'recordChunk',
      count: 8,
      ok: 4,
      errors: 3,
      aborted: 1,
      errorsByKey: { '503 STORAGE_UNAVAILABLE': 2, '404 CHUNK_NOT_UPLOADED': 1 },
      // 7 answered requests over 2 s.
      requestsPerSecond: 3.5,
      p50Ms: 40,
      p99Ms: 600,
      maxMs: 600,
      meanMs: (10 + 20 + 30 + 40 + 500 + 600 + 70) / 7,
    });
  });

  it('lists routes in the order asked, then the others as first seen', () => {
    const stats = new RouteStats();
    for (const route of ['b', 'x', 'a']) stats.record(route, 1, { kind: 'ok' });

    expect(stats.summarize(1_000, ['a', 'b', 'never-seen']).map((r) => r.route)).toEqual([
      'a',
      'b',
      'x',
    ]);
  });

  it('reports NaN latencies for a route whose every request was aborted', () => {
    const stats = new RouteStats();
    stats.record('complete', 3, { kind: 'aborted' });

    const [complete] = stats.summarize(1_000);

    expect(complete).toMatchObject({ count: 1, ok: 0, aborted: 1, requestsPerSecond: 0 });
    expect(complete?.p50Ms).toBeNaN();
    expect(complete?.maxMs).toBeNaN();
  });
});

describe('RouteStats.combined', () => {
  it('takes percentiles over the answered requests of several routes together', () => {
    const stats = new RouteStats();
    for (const ms of [10, 20, 30]) stats.record('initiate', ms, { kind: 'ok' });
    stats.record('complete', 40, { kind: 'error', key: '503 STORAGE_UNAVAILABLE' });
    stats.record('complete', 99, { kind: 'aborted' });
    stats.record('storagePut', 1000, { kind: 'ok' });

    const api = stats.combined(['initiate', 'complete', 'missing']);

    expect(api).toEqual({ answered: 4, errors: 1, p50Ms: 20, p99Ms: 40, maxMs: 40 });
    expect(stats.seen()).toEqual(['initiate', 'complete', 'storagePut']);
  });
});
