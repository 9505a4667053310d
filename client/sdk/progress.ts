/** Pure progress arithmetic: percent, transfer rate over a sliding window, ETA. */

export interface UploadProgress {
  /** Bytes the server holds (recorded chunks, including chunks of earlier runs). */
  readonly bytesUploaded: number;
  readonly totalBytes: number;
  /** 0 to 100, two decimals. */
  readonly percent: number;
  /** Over the last few seconds of this run; 0 until a rate is known. */
  readonly bytesPerSecond: number;
  /** Seconds left at the current rate; null while unknown, 0 when done. */
  readonly etaSeconds: number | null;
  readonly chunksUploaded: number;
  readonly totalChunks: number;
  /** Chunks PUT to storage by this run (a resumed run sends only the missing ones). */
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

/** Tracks one run's progress; time comes from the caller so it stays testable. */
export class ProgressMeter {
  private readonly samples: RateSample[];
  private sent = 0;
  private uploaded: number;
  private chunks: number;
  private chunksSent = 0;
  readonly totalBytes: number;
  readonly totalChunks: number;
  private readonly windowMs: number;

  constructor(
    totalBytes: number,
    totalChunks: number,
    start: { bytes: number; chunks: number; now: number },
    windowMs = 10_000,
  ) {
    this.totalBytes = totalBytes;
    this.totalChunks = totalChunks;
    this.windowMs = windowMs;
    this.uploaded = start.bytes;
    this.chunks = start.chunks;
    this.samples = [{ at: start.now, bytes: 0 }];
  }

  /** A chunk of `bytes` was stored and recorded at `now`. */
  add(bytes: number, now: number): void {
    this.sent += bytes;
    this.uploaded += bytes;
    this.chunks += 1;
    this.chunksSent += 1;
    this.samples.push({ at: now, bytes: this.sent });
    // Keep one sample older than the window so the rate spans all of it.
    while (this.samples.length > 2 && (this.samples[1] as RateSample).at <= now - this.windowMs)
      this.samples.shift();
  }

  snapshot(now: number): UploadProgress {
    const bytesPerSecond = rateOver(this.samples, now, this.windowMs);
    return {
      bytesUploaded: this.uploaded,
      totalBytes: this.totalBytes,
      percent:
        this.totalBytes > 0
          ? percentOf(this.uploaded, this.totalBytes)
          : percentOf(this.chunks, this.totalChunks),
      bytesPerSecond: Math.round(bytesPerSecond),
      etaSeconds: etaSeconds(this.totalBytes - this.uploaded, bytesPerSecond),
      chunksUploaded: this.chunks,
      totalChunks: this.totalChunks,
      chunksSent: this.chunksSent,
    };
  }
}
