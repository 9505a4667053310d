import { createHash, randomUUID } from 'node:crypto';
import { MIB } from '../../src/domain/chunk-plan.ts';
import { StorageUnavailableError } from '../../src/domain/errors.ts';
import type { ChunkEntry } from '../../src/domain/ports.ts';
import type { UploadSession } from '../../src/domain/session.ts';

export const CHUNK_SIZE = 5 * MIB;
/** Transient emulator errors retried so far. */
export const retries = { transient: 0 };

export const note = (line: string) => console.error(`[bench:ledger] ${line}`);
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
export const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => from + i);

export const timed = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
  const startedAt = performance.now();
  const out = await run();
  return [out, round((performance.now() - startedAt) / 1000, 3)];
};

/** The ledger entry a chunk PUT would leave: S3's quoted MD5 ETag and the part's SHA-256. */
export const entryOf = (chunkNumber: number): ChunkEntry => ({
  chunkNumber,
  size: CHUNK_SIZE,
  etag: `"${createHash('md5').update(`part-${chunkNumber}`).digest('hex')}"`,
  checksumSha256: createHash('sha256').update(`part-${chunkNumber}`).digest('base64'),
});

/** A session shaped like a real one: a long S3 upload id, metadata, fingerprints. */
export function aSession(totalChunks: number): UploadSession {
  const now = new Date();
  const id = randomUUID();
  return {
    id,
    userId: `bench-${id.slice(0, 8)}`,
    fileId: randomUUID(),
    fileName: 'holiday-video-2026-final-cut.mp4',
    fileSize: totalChunks * CHUNK_SIZE,
    contentType: 'video/mp4',
    chunkSize: CHUNK_SIZE,
    totalChunks,
    checksumMode: 'SHA256',
    metadata: { project: 'apollo', camera: 'a7s3' },
    fileSha256: createHash('sha256').update(id).digest('base64'),
    key: `uploads/${createHash('sha256').update(id).digest('hex').slice(0, 32)}/${id}/holiday-video-2026-final-cut.mp4`,
    uploadId: createHash('sha512').update(id).digest('base64url').repeat(2).slice(0, 128),
    status: 'initiated',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + 86_400,
    uploadedBytes: 0,
    chunksUploaded: 0,
    idempotencyKey: randomUUID(),
    requestFingerprint: createHash('sha256').update(`fp-${id}`).digest('hex'),
  };
}

/** Retries what a transient emulator error (moto's occasional HTML 500) interrupted, counting it. */
export async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof StorageUnavailableError) || attempt >= 10) throw error;
      retries.transient++;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
