import { UploadApiError } from './errors.ts';

/** How many times one chunk may be sent again after the server refused or dropped it. */
export const MAX_RESENDS = 3;

/**
 * Record rejections that sending the chunk again fixes: storage holds other bytes, none, or a
 * part of the wrong size (e.g. an earlier attempt that looked failed landed after ours).
 */
export const RESENDABLE = new Set(['ETAG_MISMATCH', 'CHUNK_NOT_UPLOADED', 'CHUNK_SIZE_MISMATCH']);

export interface ChunkRefusal {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** The status the single-chunk routes give these codes, so callers see what they saw before. */
const STATUS: Record<string, number> = { CHUNK_NOT_UPLOADED: 404, CHUNKS_MISSING: 409 };

/** The error for a chunk the server would not take. */
export function refusalError(chunkNumber: number, refusal: ChunkRefusal, message: string) {
  return new UploadApiError(refusal.code, message, STATUS[refusal.code] ?? 422, {
    ...refusal.details,
    chunkNumber,
  });
}

/** Counts re-sends per chunk over a whole upload: rejected records and completion rounds alike. */
export class ResendBudget {
  private readonly counts = new Map<number, number>();
  private readonly limit: number;

  constructor(limit = MAX_RESENDS) {
    this.limit = limit;
  }

  /** Counts one more re-send of `chunkNumber`; throws once it would pass the limit. */
  take(chunkNumber: number, refusal: ChunkRefusal): void {
    const count = (this.counts.get(chunkNumber) ?? 0) + 1;
    if (count > this.limit)
      throw refusalError(
        chunkNumber,
        refusal,
        `chunk ${chunkNumber} was sent again ${this.limit} times and is still not recorded: ` +
          refusal.message,
      );
    this.counts.set(chunkNumber, count);
  }
}
