import { type FetchLike, type TokenProvider, UploadApiClient } from './api.ts';
import { fingerprint } from './fingerprint.ts';
import type { ChunkHasher } from './hash.ts';
import { positiveInteger } from './plan.ts';
import type { UploadProgress } from './progress.ts';
import type { RecordBatchOptions } from './record-batcher.ts';
import type { RetryEvent, RetryHooks, RetryOptions } from './retry.ts';
import { runUpload } from './run-upload.ts';
import { blobSource, isUploadSource, type UploadSource } from './source.ts';
import type { ResumeStore } from './store.ts';
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
  /** How chunk records are batched (default: 32 entries or 250 ms, 2 batches in flight). */
  readonly recordBatch?: RecordBatchOptions;
  /** Told which session is used, once, before any chunk is sent. */
  readonly onSession?: (session: SessionStart) => void;
  /** Told about every retry of a request (API call or chunk PUT), before its delay. */
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface SessionStart {
  readonly sessionId: string;
  readonly resumed: boolean;
  readonly totalChunks: number;
  /** Chunks this run has to send. */
  readonly missingChunks: number;
}

/**
 * Uploads a Blob/File (or any UploadSource) and resolves to the finished file record. With a
 * store, an unfinished upload of the same file is resumed: only its missing chunks are sent.
 * `createUpload` (task.ts) runs the same machinery as a task with events, pause and cancel.
 */
export async function upload(
  source: Blob | UploadSource,
  options: UploadOptions,
): Promise<FileRecord> {
  const prepared = prepareUpload(source, options);
  return runUpload({ ...prepared, options, api: apiClient(options) });
}

/** What every run of one upload shares: its source, name, store key and chunk-PUT limit. */
export function prepareUpload(source: Blob | UploadSource, options: UploadOptions) {
  const src = isUploadSource(source) ? source : blobSource(source, options.fileName);
  const fileName = options.fileName ?? src.name;
  const concurrency = positiveInteger(options.concurrency ?? 4, 'concurrency');
  const key = fingerprint({
    apiUrl: options.apiUrl,
    name: fileName,
    size: src.size,
    lastModified: src.lastModified,
    sha256: options.fileSha256,
  });
  return { source: src, fileName, concurrency, key };
}

/** The API client for an upload's options; its retries (and its PUTs') tell `onRetry`. */
export function apiClient(options: UploadOptions): UploadApiClient {
  const retry: (RetryOptions & RetryHooks) | undefined = options.onRetry
    ? { ...options.retry, onRetry: options.onRetry }
    : options.retry;
  return new UploadApiClient({
    apiUrl: options.apiUrl,
    token: options.token,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(retry ? { retry } : {}),
  });
}
