import { describe, expect, it } from 'vitest';
import {
  allChunks,
  chunkRange,
  countChunks,
  defaultSignAhead,
  expiresSoon,
  layoutFits,
  MAX_SIGN_BATCH,
  planSignBatch,
} from '../../../client/sdk/plan.ts';

const MIB = 1024 * 1024;

describe('chunk arithmetic', () => {
  it('splits a file into full chunks and a short tail', () => {
    const layout = { fileSize: 2 * MIB + 10, chunkSize: MIB, totalChunks: 3 };
    expect(countChunks(layout.fileSize, layout.chunkSize)).toBe(3);
    expect([0, 1, 2].map((n) => chunkRange(layout, n))).toEqual([
      { start: 0, end: MIB },
      { start: MIB, end: 2 * MIB },
      { start: 2 * MIB, end: 2 * MIB + 10 },
    ]);
    expect(() => chunkRange(layout, 3)).toThrow(RangeError);
    expect(() => chunkRange(layout, -1)).toThrow(RangeError);
  });

  it('gives a zero-byte file one empty chunk', () => {
    expect(countChunks(0, MIB)).toBe(1);
    expect(chunkRange({ fileSize: 0, chunkSize: MIB, totalChunks: 1 }, 0)).toEqual({
      start: 0,
      end: 0,
    });
  });

  it('recognises a session layout that does not fit the file', () => {
    expect(layoutFits({ fileSize: 10 * MIB, chunkSize: 5 * MIB, totalChunks: 2 })).toBe(true);
    expect(layoutFits({ fileSize: 10 * MIB + 1, chunkSize: 5 * MIB, totalChunks: 2 })).toBe(false);
    expect(layoutFits({ fileSize: 10, chunkSize: 0, totalChunks: 1 })).toBe(false);
  });
});

describe('planSignBatch', () => {
  const pending = allChunks(500);

  it('fills an empty queue up to signAhead', () => {
    expect(planSignBatch({ pending, ready: 0, signAhead: 8 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('waits while the queue holds at least half of signAhead', () => {
    expect(planSignBatch({ pending, ready: 4, signAhead: 8 })).toEqual([]);
    expect(planSignBatch({ pending, ready: 8, signAhead: 8 })).toEqual([]);
  });

  it('refills the queue when it runs low, in upload order', () => {
    expect(planSignBatch({ pending: [7, 9, 11, 13], ready: 3, signAhead: 8 })).toEqual([
      7, 9, 11, 13,
    ]);
    expect(planSignBatch({ pending: allChunks(20).slice(10), ready: 1, signAhead: 6 })).toEqual([
      10, 11, 12, 13, 14,
    ]);
  });

  it('never asks for more than 100 chunks in one call', () => {
    const batch = planSignBatch({ pending, ready: 0, signAhead: 1000 });
    expect(batch).toHaveLength(MAX_SIGN_BATCH);
    expect(batch[0]).toBe(0);
  });

  it('signs at least one chunk, and nothing when nothing is pending', () => {
    expect(planSignBatch({ pending, ready: 0, signAhead: 0 })).toEqual([0]);
    expect(planSignBatch({ pending: [], ready: 0, signAhead: 8 })).toEqual([]);
  });

  it('defaults to two rounds of workers', () => {
    expect([1, 4, 16, 40, 80].map(defaultSignAhead)).toEqual([64, 64, 64, 80, 100]);
  });
});

describe('expiresSoon', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('flags URLs that expire within the margin', () => {
    expect(expiresSoon('2026-01-01T00:00:10.000Z', now)).toBe(true);
    expect(expiresSoon('2025-12-31T23:00:00.000Z', now)).toBe(true);
    expect(expiresSoon('2026-01-01T00:15:00.000Z', now)).toBe(false);
    expect(expiresSoon('2026-01-01T00:00:10.000Z', now, 5000)).toBe(false);
    expect(expiresSoon('not a date', now)).toBe(false);
  });
});
