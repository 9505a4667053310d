/** Pure progress arithmetic: percent, transfer rate over a sliding window, ETA. */

export interface UploadProgress {
  /** Bytes the server has recorded, including earlier runs (the same as `confirmedBytes`). */
  readonly bytesUploaded: number;
  /**
   * Bytes storage has taken: what the server has recorded plus the chunks this run has PUT whose
   * records are still to come. Moves with every chunk PUT; never below `confirmedBytes`.
   */
  readonly sentBytes: number;
  /** Bytes the server has recorded, including earlier runs. Trails `sentBytes` by the batching. */
  readonly confirmedBytes: number;
  readonly totalBytes: number;
  /** Of the recorded bytes: 0 to 100, two decimals. */
  readonly percent: number;
  /** Bytes PUT per second over the last few seconds of this run; 0 until a rate is known. */
  readonly bytesPerSecond: number;
  /** Seconds left to send the rest at the current rate; null while unknown, 0 when all is sent. */
  readonly etaSeconds: number | null;
  /** Chunks the server has recorded, including earlier runs. */
  readonly chunksUploaded: number;
  readonly totalChunks: number;
  /** Chunks this run has PUT to storage, each counted once (a resumed run sends only the missing). */
  readonly chunksSent: number;
}

export function percentOf(uploaded: number, total: number): number {
  if (total <= 0) return uploaded >= total ? 100 : 0;
  return Math.round(Math.min(1, Math.max(0, uploaded / total)) * 10_000) / 100;
}

export interface RateSample {
  readonly at: number;
  /** Bytes sent by this run up to `at`. */
  readonly bytes: number;
}

/**
 * Bytes per second over the window ending at `now`: from the newest sample at or before the
 * window's start (or the first sample) to the latest. Unknown (0) over less than `minSpanMs`.
 */
export function rateOver(
  samples: readonly RateSample[],
  now: number,
  windowMs = 10_000,
  minSpanMs = 250,
): number {
  const last = samples.at(-1);
  if (!last) return 0;
  let first = samples[0] as RateSample;
  for (const sample of samples) {
    if (sample.at <= now - windowMs) first = sample;
    else break;
  }
  const spanMs = now - first.at;
  if (spanMs < minSpanMs || last.bytes <= first.bytes) return 0;
  return ((last.bytes - first.bytes) * 1000) / spanMs;
}

export function etaSeconds(remainingBytes: number, bytesPerSecond: number): number | null {
  if (remainingBytes <= 0) return 0;
  if (!(bytesPerSecond > 0)) return null;
  return Math.ceil(remainingBytes / bytesPerSecond);
}

/** Bytes moved over time, as a rate over a sliding window (time comes from the caller). */
export class RateMeter {
  private readonly samples: RateSample[];
  private total = 0;
  private readonly windowMs: number;

  constructor(now: number, windowMs = 10_000) {
    this.windowMs = windowMs;
    this.samples = [{ at: now, bytes: 0 }];
  }

  /** `bytes` more were moved at `now`. */
  add(bytes: number, now: number): void {
    this.total += bytes;
    this.samples.push({ at: now, bytes: this.total });
    // Keep one sample older than the window so the rate spans all of it.
    while (this.samples.length > 2 && (this.samples[1] as RateSample).at <= now - this.windowMs)
      this.samples.shift();
  }

  /** Bytes per second over the window ending at `now` (0 while unknown). */
  rate(now: number): number {
    return rateOver(this.samples, now, this.windowMs);
  }
}

/** Tracks one run's progress; time comes from the caller so it stays testable. */
export class ProgressMeter {
  /** Bytes PUT by this run, re-sends included: what the rate measures. */
  private readonly rate: RateMeter;
  private sent: number;
  private confirmedBytes: number;
  private chunks: number;
  private readonly sentChunks = new Set<number>();
  readonly totalBytes: number;
  readonly totalChunks: number;

  /** `start` is what the server had recorded before this run. */
  constructor(
    totalBytes: number,
    totalChunks: number,
    start: { bytes: number; chunks: number; now: number },
    windowMs = 10_000,
  ) {
    this.totalBytes = totalBytes;
    this.totalChunks = totalChunks;
    this.sent = start.bytes;
    this.confirmedBytes = start.bytes;
    this.chunks = start.chunks;
    this.rate = new RateMeter(start.now, windowMs);
  }

  /** Storage took chunk `chunkNumber`, `bytes` long, at `now`. */
  sentChunk(chunkNumber: number, bytes: number, now: number): void {
    this.sent += bytes;
    this.sentChunks.add(chunkNumber);
    this.rate.add(bytes, now);
  }

  /** The server recorded `chunks` sent chunks of `bytes` bytes in all. */
  confirmed(bytes: number, chunks: number): void {
    this.confirmedBytes += bytes;
    this.chunks += chunks;
  }

  /** The server refused to record a sent chunk of `bytes`: it is to be sent again. */
  unsent(bytes: number): void {
    this.sent = Math.max(this.confirmedBytes, this.sent - bytes);
  }

  /** The server no longer counts a recorded chunk of `bytes` (complete listed it as missing). */
  lost(bytes: number): void {
    this.confirmedBytes = Math.max(0, this.confirmedBytes - bytes);
    this.sent = Math.max(this.confirmedBytes, this.sent - bytes);
    this.chunks = Math.max(0, this.chunks - 1);
  }

  snapshot(now: number): UploadProgress {
    const bytesPerSecond = this.rate.rate(now);
    return {
      bytesUploaded: this.confirmedBytes,
      sentBytes: this.sent,
      confirmedBytes: this.confirmedBytes,
      totalBytes: this.totalBytes,
      percent:
        this.totalBytes > 0
          ? percentOf(this.confirmedBytes, this.totalBytes)
          : percentOf(this.chunks, this.totalChunks),
      bytesPerSecond: Math.round(bytesPerSecond),
      etaSeconds: etaSeconds(this.totalBytes - this.sent, bytesPerSecond),
      chunksUploaded: this.chunks,
      totalChunks: this.totalChunks,
      chunksSent: this.sentChunks.size,
    };
  }
}
