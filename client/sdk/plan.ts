/** Pure chunk arithmetic and signing-batch planning for the upload pipeline. */

/** Most chunk numbers one POST /chunks call may ask for. */
export const MAX_SIGN_BATCH = 100;

export interface ChunkLayout {
  readonly fileSize: number;
  readonly chunkSize: number;
  readonly totalChunks: number;
}

export function countChunks(fileSize: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(fileSize / chunkSize));
}

/** Byte range [start, end) of chunk `n`; the last chunk is short, a zero-byte file has one. */
export function chunkRange(layout: ChunkLayout, n: number): { start: number; end: number } {
  if (!Number.isInteger(n) || n < 0 || n >= layout.totalChunks)
    throw new RangeError(`chunk ${n} is outside 0..${layout.totalChunks - 1}`);
  const start = n * layout.chunkSize;
  return { start, end: Math.min(layout.fileSize, start + layout.chunkSize) };
}

/** Bytes in chunk `n`. */
export function chunkLength(layout: ChunkLayout, n: number): number {
  const { start, end } = chunkRange(layout, n);
  return end - start;
}

export const allChunks = (totalChunks: number): number[] =>
  Array.from({ length: totalChunks }, (_, n) => n);

/** True when a session's layout is the one this file needs (a stale entry may not be). */
export const layoutFits = (layout: ChunkLayout): boolean =>
  layout.chunkSize > 0 && countChunks(layout.fileSize, layout.chunkSize) === layout.totalChunks;

export interface SignPlanInput {
  /** Chunk numbers still to sign, in upload order. */
  readonly pending: readonly number[];
  /** Signed chunks waiting for a worker. */
  readonly ready: number;
  /** How many signed chunks to keep queued ahead of the workers. */
  readonly signAhead: number;
}

/**
 * Default queue depth: at least two rounds of workers, within one signing call. Signing far ahead
 * keeps signing calls near one per 30 chunks: a signed chunk costs only its hash, not its bytes,
 * and a URL close to expiry is re-signed before use.
 */
export const defaultSignAhead = (concurrency: number): number =>
  Math.min(MAX_SIGN_BATCH, Math.max(64, 2 * concurrency));

/**
 * Which chunks to sign next: nothing while the queue holds at least half of `signAhead`;
 * otherwise the next pending chunks that fill it back up, at most 100 (one call).
 */
export function planSignBatch(input: SignPlanInput): number[] {
  const target = Math.min(MAX_SIGN_BATCH, Math.max(1, Math.floor(input.signAhead)));
  const lowWater = Math.ceil(target / 2);
  if (input.ready >= lowWater) return [];
  return input.pending.slice(0, Math.max(0, target - input.ready));
}

/** True when a presigned URL expires within `marginMs` of `nowMs` (re-sign before using it). */
export function expiresSoon(expiresAt: string, nowMs: number, marginMs = 30_000): boolean {
  const at = Date.parse(expiresAt);
  return Number.isNaN(at) ? false : at - nowMs <= marginMs;
}

export function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
