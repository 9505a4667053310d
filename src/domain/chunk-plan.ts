import { UploadError, validationError } from './errors.ts';

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
/** S3 multipart limits: parts are 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them. */
export const MIN_CHUNK_SIZE = 5 * MIB;
export const MAX_CHUNK_SIZE = 5 * GIB;
export const MAX_CHUNKS = 10_000;
/** Chunks one record request may carry. */
export const MAX_RECORD_BATCH = 100;

export interface ChunkPlan {
  readonly chunkSize: number;
  readonly totalChunks: number;
}

export interface ChunkPlanRequest {
  readonly fileSize: number;
  readonly requestedChunkSize: number | undefined;
  readonly defaultChunkSize: number;
  readonly maxFileSize: number;
}

export function planChunks(request: ChunkPlanRequest): ChunkPlan {
  const { fileSize, requestedChunkSize, defaultChunkSize, maxFileSize } = request;
  if (fileSize > maxFileSize) {
    throw new UploadError(
      'FILE_TOO_LARGE',
      `fileSize exceeds the maximum of ${maxFileSize} bytes`,
      {
        maxFileSize,
      },
    );
  }
  const requested = requestedChunkSize ?? defaultChunkSize;
  if (requested > MAX_CHUNK_SIZE) {
    throw validationError('chunkSize', `chunkSize must be at most ${MAX_CHUNK_SIZE} bytes`);
  }
  const chunkSize =
    countChunks(fileSize, requested) <= MAX_CHUNKS ? requested : smallestChunkSizeFor(fileSize);
  if (chunkSize > MAX_CHUNK_SIZE) {
    throw new UploadError('FILE_TOO_LARGE', 'fileSize needs more than 10,000 parts of 5 GiB', {
      maxFileSize,
    });
  }
  const totalChunks = countChunks(fileSize, chunkSize);
  if (chunkSize < MIN_CHUNK_SIZE && totalChunks > 1) {
    throw validationError(
      'chunkSize',
      `chunkSize must be at least ${MIN_CHUNK_SIZE} bytes unless the file fits in one chunk`,
    );
  }
  return { chunkSize, totalChunks };
}

/** Smallest chunk size, rounded up to a whole MiB, that keeps the file within 10,000 chunks. */
function smallestChunkSizeFor(fileSize: number): number {
  const exact = Math.ceil(fileSize / MAX_CHUNKS);
  return Math.ceil(exact / MIB) * MIB;
}

export function countChunks(fileSize: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(fileSize / chunkSize));
}

export function expectedChunkSize(
  plan: ChunkPlan & { readonly fileSize: number },
  chunkNumber: number,
): number {
  if (chunkNumber < plan.totalChunks - 1) return plan.chunkSize;
  return plan.fileSize - (plan.totalChunks - 1) * plan.chunkSize;
}

export const partNumberOf = (chunkNumber: number): number => chunkNumber + 1;
export const chunkNumberOf = (partNumber: number): number => partNumber - 1;

export function missingChunks(totalChunks: number, present: ReadonlySet<number>): number[] {
  const missing: number[] = [];
  for (let n = 0; n < totalChunks; n++) if (!present.has(n)) missing.push(n);
  return missing;
}
