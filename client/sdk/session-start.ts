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

/** A session an earlier run started: enough to resume it. */
export interface KnownSession {
  readonly sessionId: string;
  readonly checksum: ChecksumMode;
  readonly totalChunks: number;
}

/** A session that was already finished: its file, answered again by complete. */
export interface Finished {
  readonly done: FileRecord;
  readonly totalChunks: number;
}

const GONE = new Set(['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'SESSION_CANCELLED', 'FILE_DELETED']);

/**
 * Starts a new session for the file. Give the same `idempotencyKey` to every initiate of one
 * upload: an initiate whose answer was lost (a pause) then returns the session it created.
 */
export async function initiate(
  api: UploadApiClient,
  src: UploadSource,
  fileName: string,
  options: UploadOptions,
  idempotencyKey: string = globalThis.crypto.randomUUID(),
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
      idempotencyKey,
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

/**
 * Where a known session stands: what it still misses, or its file when it was finished (or was
 * finishing) in a run whose answer was lost. Undefined when its layout is not this file's, or,
 * with `restartIfGone`, when it is gone, failed or in a state nothing continues from; otherwise
 * such a session throws its UploadApiError.
 */
export async function resumeSession(
  api: UploadApiClient,
  known: KnownSession,
  fileSize: number,
  signal: AbortSignal | undefined,
  restartIfGone = false,
): Promise<Started | Finished | undefined> {
  const call = signal ? { signal } : {};
  try {
    const state = await api.resume(known.sessionId, call);
    const layout = { fileSize, chunkSize: state.chunkSize, totalChunks: state.totalChunks };
    if (!layoutFits(layout)) return undefined;
    return {
      id: state.id,
      chunkSize: state.chunkSize,
      totalChunks: state.totalChunks,
      checksum: known.checksum,
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
        done: await api.complete(known.sessionId, {}, call),
        totalChunks: known.totalChunks,
      };
    }
    if (restartIfGone && (GONE.has(error.code) || error.code === 'INVALID_STATE')) return undefined;
    throw error;
  }
}

/** The stored session of this file, if it can still be resumed (or is already finished). */
export async function resumeStored(
  api: UploadApiClient,
  store: ResumeStore,
  key: string,
  fileSize: number,
  signal: AbortSignal | undefined,
): Promise<Started | Finished | undefined> {
  const stored = await store.get(key);
  if (!stored) return undefined;
  const state = await resumeSession(api, stored, fileSize, signal, true);
  if (!state) await store.delete(key);
  return state;
}
