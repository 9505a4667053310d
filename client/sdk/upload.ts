import { type FetchLike, type TokenProvider, UploadApiClient } from './api.ts';
import { UploadAbortedError, UploadApiError } from './errors.ts';
import { fingerprint } from './fingerprint.ts';
import type { ChunkHasher } from './hash.ts';
import { allChunks, defaultSignAhead, layoutFits } from './plan.ts';
import { ProgressMeter, type UploadProgress } from './progress.ts';
import type { RetryOptions } from './retry.ts';
import { blobSource, isUploadSource, type UploadSource } from './source.ts';
import type { ResumeStore } from './store.ts';
import { transferChunks } from './transfer.ts';
import type { ChecksumMode, FileRecord } from './types.ts';

export interface UploadOptions {
  /** The server root (`http://127.0.0.1:3000`); `/api/v1` is appended. */
  readonly apiUrl: string;
  readonly token: TokenProvider;
  /** Parallel chunk PUTs (default 4). */
  readonly concurrency?: number;
  /** Requested chunk size in bytes; the server may raise it (5 MiB default, 10,000 chunks max). */
  readonly chunkSize?: number;
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Aborting pauses: the session is kept and the promise rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** 'SHA256' (default): every chunk is signed with its digest, so storage verifies it. */
  readonly checksum?: ChecksumMode;
  /** Remembers unfinished uploads so that uploading the same file again resumes. */
  readonly store?: ResumeStore;
  /** Used for API and storage requests alike. */
  readonly fetch?: FetchLike;
  /** Used for the chunk PUTs to storage instead of `fetch`. */
  readonly storageFetch?: FetchLike;
  /** Base64 SHA-256 of a chunk, for its checksum (default: WebCrypto's digest). */
  readonly sha256?: ChunkHasher;
  readonly retry?: RetryOptions;
  /** Defaults to the source's name. */
  readonly fileName?: string;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  /** The whole file's SHA-256 (base64), when known: sent on initiate and complete. */
  readonly fileSha256?: string;
  /** Signed chunks kept queued ahead of the workers (default max(64, 2 × concurrency), at most 100). */
  readonly signAhead?: number;
  /** Told which session is used, once, before any chunk is sent. */
  readonly onSession?: (session: SessionStart) => void;
}

export interface SessionStart {
  readonly sessionId: string;
  readonly resumed: boolean;
  readonly totalChunks: number;
  /** Chunks this run has to send. */
  readonly missingChunks: number;
}

interface Started {
  readonly id: string;
  readonly chunkSize: number;
  readonly totalChunks: number;
  readonly checksum: ChecksumMode;
  readonly missing: number[];
  readonly uploadedBytes: number;
  readonly resumed: boolean;
}

const GONE = new Set(['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'SESSION_CANCELLED']);
const COMPLETE_ROUNDS = 3;

/**
 * Uploads a Blob/File (or any UploadSource) and resolves to the finished file record. With a
 * store, an unfinished upload of the same file is resumed: only its missing chunks are sent.
 */
export async function upload(
  source: Blob | UploadSource,
  options: UploadOptions,
): Promise<FileRecord> {
  const src = isUploadSource(source) ? source : blobSource(source, options.fileName);
  const fileName = options.fileName ?? src.name;
  const concurrency = positiveInteger(options.concurrency ?? 4, 'concurrency');
  const api = new UploadApiClient({
    apiUrl: options.apiUrl,
    token: options.token,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const { signal, store } = options;
  const key = fingerprint({
    apiUrl: options.apiUrl,
    name: fileName,
    size: src.size,
    lastModified: src.lastModified,
    sha256: options.fileSha256,
  });
  let sessionId: string | undefined;
  try {
    signal?.throwIfAborted();
    const resumed = store ? await resumeStored(api, store, key, src.size, signal) : undefined;
    if (resumed && 'done' in resumed) {
      const { done, totalChunks } = resumed;
      options.onSession?.({
        sessionId: done.sessionId,
        resumed: true,
        totalChunks,
        missingChunks: 0,
      });
      options.onProgress?.(
        new ProgressMeter(src.size, totalChunks, {
          bytes: src.size,
          chunks: totalChunks,
          now: Date.now(),
        }).snapshot(Date.now()),
      );
      await store?.delete(key);
      return done;
    }
    const started = resumed ?? (await initiate(api, src, fileName, options));
    sessionId = started.id;
    if (store && !resumed) {
      await store.set(key, {
        sessionId: started.id,
        fileName,
        fileSize: src.size,
        chunkSize: started.chunkSize,
        totalChunks: started.totalChunks,
        checksum: started.checksum,
        createdAt: new Date().toISOString(),
      });
    }
    options.onSession?.({
      sessionId: started.id,
      resumed: started.resumed,
      totalChunks: started.totalChunks,
      missingChunks: started.missing.length,
    });

    const meter = new ProgressMeter(src.size, started.totalChunks, {
      bytes: started.uploadedBytes,
      chunks: started.totalChunks - started.missing.length,
      now: Date.now(),
    });
    options.onProgress?.(meter.snapshot(Date.now()));
    let missing = started.missing;
    for (let round = 1; ; round++) {
      await transferChunks({
        api,
        sessionId: started.id,
        layout: {
          fileSize: src.size,
          chunkSize: started.chunkSize,
          totalChunks: started.totalChunks,
        },
        checksum: started.checksum,
        source: src,
        chunks: missing,
        concurrency,
        signAhead: options.signAhead ?? defaultSignAhead(concurrency),
        fetch: options.storageFetch ?? api.fetch,
        ...(options.sha256 ? { sha256: options.sha256 } : {}),
        retry: api.retry,
        signal,
        onChunk: (_n, size) => {
          meter.add(size, Date.now());
          options.onProgress?.(meter.snapshot(Date.now()));
        },
      });
      try {
        const record = await api.complete(
          started.id,
          options.fileSha256 ? { fileSha256: options.fileSha256 } : {},
          { ...(signal ? { signal } : {}) },
        );
        await store?.delete(key);
        return record;
      } catch (error) {
        // A chunk the ledger lost (or never got): ask what is missing and send it again.
        if (!(error instanceof UploadApiError && error.code === 'CHUNKS_MISSING')) throw error;
        if (round >= COMPLETE_ROUNDS) throw error;
        missing = (await api.resume(started.id, { ...(signal ? { signal } : {}) })).missingChunks;
      }
    }
  } catch (error) {
    if (signal?.aborted) throw new UploadAbortedError(sessionId, { cause: error });
    throw error;
  }
}

/** Cancels a session: the server aborts the multipart upload and releases its parts. */
export async function cancel(
  sessionId: string,
  options: Pick<UploadOptions, 'apiUrl' | 'token' | 'fetch' | 'retry' | 'signal'>,
): Promise<void> {
  const api = new UploadApiClient(options);
  await api.cancel(sessionId, { ...(options.signal ? { signal: options.signal } : {}) });
}

async function initiate(
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
async function resumeStored(
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

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
