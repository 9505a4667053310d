import { describe, expect, it } from 'vitest';
import { findSaturation, type StepPoint } from '../../../../bench/load/saturation.ts';

const step = (concurrency: number, throughput: number, errors = 0, finished = true): StepPoint => ({
  concurrency,
  throughput,
  errors,
  finished,
});

describe('findSaturation', () => {
  it('saturates at the first step that adds less than 10% over the best before it', () => {
    // Act
    const found = findSaturation([
      step(1, 10),
      step(2, 19),
      step(4, 30),
      step(8, 32),
      step(16, 40),
    ]);

    // Assess
    expect(found).toEqual({
      peak: { concurrency: 16, throughput: 40 },
      saturatedAt: { concurrency: 8, reason: 'flat' },
      knee: 4,
    });
  });

  it('names a fall, errors and a missed deadline', () => {
    expect(findSaturation([step(1, 10), step(4, 8)]).saturatedAt).toEqual({
      concurrency: 4,
      reason: 'falling',
    });
    expect(findSaturation([step(1, 10), step(4, 30, 2)]).saturatedAt).toEqual({
      concurrency: 4,
      reason: 'errors',
    });
    expect(findSaturation([step(1, 10), step(4, 30, 0, false)]).saturatedAt).toEqual({
      concurrency: 4,
      reason: 'deadline',
    });
  });

  it('reports no saturation while every step pays off, and sorts the steps first', () => {
    const found = findSaturation([step(4, 35), step(1, 10), step(2, 20)]);

    expect(found.saturatedAt).toBeUndefined();
    expect(found.knee).toBeUndefined();
    expect(found.peak).toEqual({ concurrency: 4, throughput: 35 });
    expect(findSaturation([])).toEqual({
      peak: undefined,
      saturatedAt: undefined,
      knee: undefined,
    });
  });
});
