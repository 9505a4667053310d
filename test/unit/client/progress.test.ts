import { describe, expect, it } from 'vitest';
import { etaSeconds, ProgressMeter, percentOf, rateOver } from '../../../client/sdk/progress.ts';

describe('percentOf', () => {
  it('rounds to two decimals and clamps', () => {
    expect(percentOf(0, 100)).toBe(0);
    expect(percentOf(1, 3)).toBe(33.33);
    expect(percentOf(2, 3)).toBe(66.67);
    expect(percentOf(100, 100)).toBe(100);
    expect(percentOf(150, 100)).toBe(100);
    expect(percentOf(0, 0)).toBe(100);
  });
});

describe('rateOver', () => {
  it('is unknown without enough time or bytes', () => {
    expect(rateOver([], 1000)).toBe(0);
    expect(rateOver([{ at: 0, bytes: 0 }], 100)).toBe(0);
    expect(rateOver([{ at: 0, bytes: 0 }], 5000)).toBe(0);
  });

  it('measures from the window start to now', () => {
    const samples = [
      { at: 0, bytes: 0 },
      { at: 1000, bytes: 1000 },
      { at: 2000, bytes: 3000 },
    ];
    expect(rateOver(samples, 2000)).toBe(1500);
    // Stalled for two more seconds: the rate decays.
    expect(rateOver(samples, 4000)).toBe(750);
  });

  it('forgets samples older than the window', () => {
    const samples = [
      { at: 0, bytes: 0 },
      { at: 10_000, bytes: 100_000 },
      { at: 20_000, bytes: 110_000 },
    ];
    // Window [10s, 20s]: 10 000 bytes in 10 s, not 110 000 in 20 s.
    expect(rateOver(samples, 20_000, 10_000)).toBe(1000);
  });
});

describe('etaSeconds', () => {
  it('divides what is left by the rate, rounding up', () => {
    expect(etaSeconds(1000, 300)).toBe(4);
    expect(etaSeconds(0, 0)).toBe(0);
    expect(etaSeconds(1000, 0)).toBeNull();
    expect(etaSeconds(1000, Number.NaN)).toBeNull();
  });
});

describe('ProgressMeter', () => {
  it('starts from what an earlier run stored and counts this run separately', () => {
    const meter = new ProgressMeter(10_000, 10, { bytes: 4000, chunks: 4, now: 0 });
    expect(meter.snapshot(0)).toEqual({
      bytesUploaded: 4000,
      sentBytes: 4000,
      confirmedBytes: 4000,
      totalBytes: 10_000,
      percent: 40,
      bytesPerSecond: 0,
      etaSeconds: null,
      chunksUploaded: 4,
      totalChunks: 10,
      chunksSent: 0,
    });
    meter.sentChunk(4, 1000, 1000);
    meter.sentChunk(5, 1000, 2000);
    meter.confirmed(2000, 2);
    expect(meter.snapshot(2000)).toEqual({
      bytesUploaded: 6000,
      sentBytes: 6000,
      confirmedBytes: 6000,
      totalBytes: 10_000,
      percent: 60,
      bytesPerSecond: 1000,
      etaSeconds: 4,
      chunksUploaded: 6,
      totalChunks: 10,
      chunksSent: 2,
    });
  });

  it('moves sentBytes with every PUT and the recorded fields only with records', () => {
    // Arrange
    const meter = new ProgressMeter(4000, 4, { bytes: 0, chunks: 0, now: 0 });

    // Act
    meter.sentChunk(0, 1000, 500);
    meter.sentChunk(1, 1000, 1000);
    const sent = meter.snapshot(1000);
    meter.confirmed(1000, 1);
    const confirmed = meter.snapshot(1000);

    // Assess: the rate and ETA follow the bytes sent; percent follows the records.
    expect(sent).toMatchObject({
      sentBytes: 2000,
      confirmedBytes: 0,
      bytesUploaded: 0,
      percent: 0,
      chunksUploaded: 0,
      chunksSent: 2,
      bytesPerSecond: 2000,
      etaSeconds: 1,
    });
    expect(confirmed).toMatchObject({ sentBytes: 2000, confirmedBytes: 1000, percent: 25 });
  });

  it('takes back bytes the server refused or dropped, counting a re-sent chunk once', () => {
    const meter = new ProgressMeter(3000, 3, { bytes: 1000, chunks: 1, now: 0 });
    meter.sentChunk(1, 1000, 10);
    meter.unsent(1000); // record rejected: chunk 1 goes again
    expect(meter.snapshot(10)).toMatchObject({ sentBytes: 1000, confirmedBytes: 1000 });
    meter.sentChunk(1, 1000, 20);
    meter.sentChunk(2, 1000, 30);
    meter.confirmed(2000, 2);
    meter.lost(1000); // complete: chunk 0 (an earlier run's) is missing
    expect(meter.snapshot(30)).toMatchObject({
      sentBytes: 2000,
      confirmedBytes: 2000,
      chunksUploaded: 2,
      chunksSent: 2,
      percent: 66.67,
    });
  });

  it('reports a zero-byte file by chunks', () => {
    const meter = new ProgressMeter(0, 1, { bytes: 0, chunks: 0, now: 0 });
    expect(meter.snapshot(0).percent).toBe(0);
    meter.sentChunk(0, 0, 10);
    meter.confirmed(0, 1);
    expect(meter.snapshot(10)).toMatchObject({ percent: 100, etaSeconds: 0, chunksSent: 1 });
  });

  it('keeps the rate to the recent window', () => {
    const meter = new ProgressMeter(1e9, 1000, { bytes: 0, chunks: 0, now: 0 }, 10_000);
    for (let t = 1000; t <= 30_000; t += 1000)
      meter.sentChunk(t / 1000, t <= 15_000 ? 10_000 : 1000, t);
    // The last 10 s moved 1000 bytes a second.
    expect(meter.snapshot(30_000).bytesPerSecond).toBe(1000);
  });
});
