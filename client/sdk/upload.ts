import { type FetchLike, type TokenProvider, UploadApiClient } from './api.ts';
import { UploadAbortedError, UploadApiError } from './errors.ts';
import { fingerprint } from './fingerprint.ts';
import type { ChunkHasher } from './hash.ts';
import { type ChunkLayout, chunkLength, defaultSignAhead, positiveInteger } from './plan.ts';
import { ProgressMeter, type UploadProgress } from './progress.ts';
import type { RecordBatchOptions } from './record-batcher.ts';
import { ResendBudget } from './resends.ts';
import type { RetryOptions } from './retry.ts';
import { initiate, resumeStored } from './session-start.ts';
import { blobSource, isUploadSource, type UploadSource } from './source.ts';
import type { ResumeStore } from './store.ts';
import { type TransferPlan, transferChunks } from './transfer.ts';
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

    const layout: ChunkLayout = {
      fileSize: src.size,
      chunkSize: started.chunkSize,
      totalChunks: started.totalChunks,
    };
    const meter = new ProgressMeter(src.size, started.totalChunks, {
      bytes: started.uploadedBytes,
      chunks: started.totalChunks - started.missing.length,
      now: Date.now(),
    });
    const report = () => options.onProgress?.(meter.snapshot(Date.now()));
    report();
    const resends = new ResendBudget();
    const call = signal ? { signal } : {};
    let missing = started.missing;
    for (;;) {
      await transferChunks({
        api,
        sessionId: started.id,
        layout,
        checksum: started.checksum,
        source: src,
        chunks: missing,
        concurrency,
        signAhead: options.signAhead ?? defaultSignAhead(concurrency),
        ...(options.recordBatch ? { recordBatch: options.recordBatch } : {}),
        resends,
        fetch: options.storageFetch ?? api.fetch,
        ...(options.sha256 ? { sha256: options.sha256 } : {}),
        retry: api.retry,
        signal,
        ...meterHooks(meter, report),
      });
      try {
        const record = await api.complete(
          started.id,
          options.fileSha256 ? { fileSha256: options.fileSha256 } : {},
          call,
        );
        await store?.delete(key);
        return record;
      } catch (error) {
        // The server dropped chunks whose stored part changed (or never had them): send those again.
        if (!(error instanceof UploadApiError && error.code === 'CHUNKS_MISSING')) throw error;
        missing = await missingAfter(error, api, started.id, layout.totalChunks, call);
        if (missing.length === 0) throw error;
        for (const n of missing) {
          resends.take(n, { code: error.code, message: error.message });
          meter.lost(chunkLength(layout, n));
        }
        report();
      }
    }
  } catch (error) {
    if (signal?.aborted) throw new UploadAbortedError(sessionId, { cause: error });
    throw error;
  }
}

/** Transfer events as progress: each updates the meter and reports a snapshot. */
function meterHooks(
  meter: ProgressMeter,
  report: () => void,
): Pick<TransferPlan, 'onSent' | 'onConfirmed' | 'onRequeued'> {
  return {
    onSent: (chunkNumber, size) => {
      meter.sentChunk(chunkNumber, size, Date.now());
      report();
    },
    onConfirmed: (chunks) => {
      meter.confirmed(
        chunks.reduce((sum, c) => sum + c.size, 0),
        chunks.length,
      );
      report();
    },
    onRequeued: (_chunkNumber, size) => {
      meter.unsent(size);
      report();
    },
  };
}

/** The chunks a CHUNKS_MISSING answer lists; what resume says is missing when it lists none. */
async function missingAfter(
  error: UploadApiError,
  api: UploadApiClient,
  sessionId: string,
  totalChunks: number,
  call: { signal?: AbortSignal },
): Promise<number[]> {
  const listed = error.details?.missingChunks;
  const valid = (n: unknown): n is number =>
    Number.isInteger(n) && (n as number) >= 0 && (n as number) < totalChunks;
  if (Array.isArray(listed) && listed.length > 0 && listed.every(valid))
    return [...new Set(listed)].sort((a, b) => a - b);
  return (await api.resume(sessionId, call)).missingChunks;
}
