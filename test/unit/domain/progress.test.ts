import { describe, expect, it } from 'vitest';
import {
  estimateTimeRemaining,
  formatDuration,
  percentComplete,
} from '../../../src/domain/progress.ts';
import { aSession } from '../../support/session-fixture.ts';

describe('percentComplete', () => {
  it('is the share of bytes uploaded, to two decimals', () => {
    // Prepare
    const session = aSession({ fileSize: 3000, uploadedBytes: 1000 });

    // Act & Assess
    expect(percentComplete(session)).toBe(33.33);
  });

  it('is 0 before any byte and 100 when all bytes are in', () => {
    // Act & Assess
    expect(percentComplete(aSession({ fileSize: 3000, uploadedBytes: 0 }))).toBe(0);
    expect(percentComplete(aSession({ fileSize: 3000, uploadedBytes: 3000 }))).toBe(100);
  });

  it('uses chunks for a zero-byte file', () => {
    // Prepare
    const before = aSession({ fileSize: 0, totalChunks: 1, chunksUploaded: 0 });
    const after = aSession({ fileSize: 0, totalChunks: 1, chunksUploaded: 1 });

    // Act & Assess
    expect(percentComplete(before)).toBe(0);
    expect(percentComplete(after)).toBe(100);
  });

  it('never exceeds 100', () => {
    // Act & Assess
    expect(percentComplete(aSession({ fileSize: 100, uploadedBytes: 150 }))).toBe(100);
  });
});

describe('estimateTimeRemaining', () => {
  const createdAt = '2026-01-01T12:00:00.000Z';

  it('is null before any chunk is recorded', () => {
    // Prepare
    const session = aSession({ createdAt, uploadedBytes: 0 });

    // Act & Assess
    expect(estimateTimeRemaining(session)).toBeNull();
  });

  it('is null while no time has passed since the session began', () => {
    // Prepare
    const session = aSession({ createdAt, uploadedBytes: 100, lastChunkAt: createdAt });

    // Act & Assess
    expect(estimateTimeRemaining(session)).toBeNull();
  });

  it('extrapolates the average rate as HH:MM:SS', () => {
    // Prepare: a quarter of the file in 10 minutes leaves 30 minutes.
    const session = aSession({
      createdAt,
      fileSize: 4000,
      uploadedBytes: 1000,
      lastChunkAt: '2026-01-01T12:10:00.000Z',
    });

    // Act & Assess
    expect(estimateTimeRemaining(session)).toBe('00:30:00');
  });

  it('is 00:00:00 for an uploaded session', () => {
    // Prepare
    const session = aSession({ status: 'uploaded', uploadedBytes: 0 });

    // Act & Assess
    expect(estimateTimeRemaining(session)).toBe('00:00:00');
  });
});

describe('formatDuration', () => {
  it('pads hours, minutes and seconds to two digits', () => {
    // Act & Assess
    expect(formatDuration(0)).toBe('00:00:00');
    expect(formatDuration(3 * 3600 + 4 * 60 + 5)).toBe('03:04:05');
  });

  it('rounds fractional seconds up', () => {
    // Act & Assess
    expect(formatDuration(0.1)).toBe('00:00:01');
    expect(formatDuration(59.5)).toBe('00:01:00');
  });

  it('lets hours grow past 99', () => {
    // Act & Assess
    expect(formatDuration(100 * 3600 + 1)).toBe('100:00:01');
  });

  it('clamps negative durations to zero', () => {
    // Act & Assess
    expect(formatDuration(-5)).toBe('00:00:00');
  });
});
