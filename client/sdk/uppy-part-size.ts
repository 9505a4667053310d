/**
 * Part-size arithmetic shared by Uppy's `@uppy/aws-s3` and the server: Uppy cuts the parts on its
 * own, so the adapter must ask the server for exactly the size Uppy will cut, and check it got it.
 */
import { countChunks } from './plan.ts';

const MIB = 1024 * 1024;
/** S3 multipart limits, as the server applies them (src/domain/chunk-plan.ts). */
export const MIN_PART_SIZE = 5 * MIB;
export const MAX_PART_SIZE = 5 * 1024 * MIB;
export const MAX_PARTS = 10_000;

/**
 * The chunk size the server settles on for a file of `fileSize` bytes when asked for
 * `preferred` (at least 5 MiB): `preferred` while the file fits in 10,000 chunks, else the
 * smallest whole number of MiB that does (the server's rule).
 */
export function partSizeFor(fileSize: number, preferred: number = MIN_PART_SIZE): number {
  const requested = Math.max(MIN_PART_SIZE, preferred);
  if (countChunks(fileSize, requested) <= MAX_PARTS) return requested;
  return Math.ceil(Math.ceil(fileSize / MAX_PARTS) / MIB) * MIB;
}

/**
 * How many parts `@uppy/aws-s3` 5.x cuts a file into with multipart on and `partSize` (>= 5 MiB)
 * from `getChunkSize`: one part up to 5 MiB, else `partSize`-byte parts and a shorter last one.
 */
export function uppyPartCount(fileSize: number, partSize: number): number {
  return fileSize > MIN_PART_SIZE ? Math.ceil(fileSize / partSize) : 1;
}

/** Validates a preferred part size: a whole number of bytes from 5 MiB to 5 GiB. */
export function checkPreferredPartSize(value: number): number {
  if (!Number.isSafeInteger(value) || value < MIN_PART_SIZE || value > MAX_PART_SIZE)
    throw new RangeError(`chunkSize must be a whole number from 5 MiB to 5 GiB, got ${value}`);
  return value;
}
