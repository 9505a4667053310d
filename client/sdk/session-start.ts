import type { UploadApiClient } from './api.ts';
import { UploadApiError } from './errors.ts';
import { allChunks, layoutFits, positiveInteger } from './plan.ts';
import type { UploadSource } from './source.ts';
import type { ResumeStore } from './store.ts';
import type { ChecksumMode, FileRecord } from './types.ts';
import type { UploadOptions } from './upload.ts';

/** The session an upload sends its chunks to, and what it still has to send. */
export interface Started {
  readonly id: string;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly checksum: ChecksumMode;
  readonly missing: number[];
  readonly uploadedBytes: number;
  readonly resumed: boolean;
}

const GONE = new Set(['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'SESSION_CANCELLED', 'FILE_DELETED']);

/** Starts a new session for the file. */
export async function initiate(
  api: UploadApiClient,
  src: UploadSource,
  fileName: string,
  options: UploadOptions,
): Promise<Started> {
  const checksum = options.checksum ?? 'SHA256';
  const contentType = options.contentType ?? src.type;
  const session = await api.initiate(
    {
      fileName,
      fileSize: src.size,
      checksum,
      ...(contentType ? { contentType } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.chunkSize !== undefined
        ? { chunkSize: positiveInteger(options.chunkSize, 'chunkSize') }
        : {}),
      ...(options.fileSha256 ? { fileSha256: options.fileSha256 } : {}),
    },
    {
      // The same key on every retry makes a retried initiate return the same session.
      idempotencyKey: globalThis.crypto.randomUUID(),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  // Initiating a file the server already has a live session for (same name, size and
  // fileSha256) returns that session: ask it what is still missing.
  const known = session.status !== 'initiated' || (session.uploadedBytes ?? 0) > 0;
  const missing = known
    ? (await api.resume(session.id, { ...(options.signal ? { signal: options.signal } : {}) }))
        .missingChunks
    : allChunks(session.totalChunks);
  return {
    id: session.id,
    chunkSize: session.chunkSize,
    totalChunks: session.totalChunks,
    checksum: session.checksum ?? checksum,
    missing,
    uploadedBytes: known ? (session.uploadedBytes ?? 0) : 0,
    resumed: known,
  };
}

/** The stored session of this file, if it can still be resumed (or is already finished). */
export async function resumeStored(
  api: UploadApiClient,
  store: ResumeStore,
  key: string,
  fileSize: number,
  signal: AbortSignal | undefined,
): Promise<Started | { done: FileRecord; totalChunks: number } | undefined> {
  const stored = await store.get(key);
  if (!stored) return undefined;
  const call = signal ? { signal } : {};
  try {
    const state = await api.resume(stored.sessionId, call);
    const layout = { fileSize, chunkSize: state.chunkSize, totalChunks: state.totalChunks };
    if (!layoutFits(layout)) {
      await store.delete(key);
      return undefined;
    }
    return {
      id: state.id,
      chunkSize: state.chunkSize,
      totalChunks: state.totalChunks,
      checksum: stored.checksum,
      missing: state.missingChunks,
      uploadedBytes: state.uploadedBytes,
      resumed: true,
    };
  } catch (error) {
    if (!(error instanceof UploadApiError)) throw error;
    const status = error.details?.status;
    if (error.code === 'INVALID_STATE' && (status === 'uploaded' || status === 'completing')) {
      // Finished (or finishing) in an earlier run whose answer was lost: complete answers again.
      return {
        done: await api.complete(stored.sessionId, {}, call),
        totalChunks: stored.totalChunks,
      };
    }
    if (GONE.has(error.code) || error.code === 'INVALID_STATE') {
      await store.delete(key);
      return undefined;
    }
    throw error;
  }
}
