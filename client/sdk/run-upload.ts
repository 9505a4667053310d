import type { UploadApiClient } from './api.ts';
import { UploadAbortedError, UploadApiError } from './errors.ts';
import { type ChunkLayout, chunkLength, defaultSignAhead } from './plan.ts';
import { ProgressMeter } from './progress.ts';
import { ResendBudget } from './resends.ts';
import type { Permits } from './semaphore.ts';
import {
  type Finished,
  initiate,
  type KnownSession,
  resumeSession,
  resumeStored,
  type Started,
} from './session-start.ts';
import type { UploadSource } from './source.ts';
import { type TransferPlan, transferChunks } from './transfer.ts';
import type { FileRecord } from './types.ts';
import type { UploadOptions } from './upload.ts';

/** One run of an upload, from finding its session to the finished file. */
export interface UploadRun {
  readonly source: UploadSource;
  readonly fileName: string;
  /**
   * `onSession` and `onProgress` are called; aborting `signal` pauses: the run rejects with an
   * UploadAbortedError naming the kept session.
   */
  readonly options: UploadOptions;
  readonly api: UploadApiClient;
  readonly concurrency: number;
  /** The store key of this file (its fingerprint). */
  readonly key: string;
  /** The session an earlier run of this upload started: resumed, never replaced. */
  readonly session?: KnownSession;
  /** Sent with every initiate of this upload, so a lost answer returns the same session. */
  readonly idempotencyKey?: string;
  /** Shared chunk-PUT permits (a queue's global limit). */
  readonly permits?: Permits;
  /** Told which session this run uses, before anything is sent. */
  readonly onStarted?: (session: KnownSession) => void;
  /** Told just before a new session is asked for: the server may have it even if no answer comes. */
  readonly onInitiating?: () => void;
}

/**
 * Runs an upload once: resumes its session (the known one, else the stored one) or starts a new
 * one, sends what is missing and completes it. Resolves to the finished file; rejects with what
 * failed, or with an UploadAbortedError once `signal` aborts.
 */
export async function runUpload(run: UploadRun): Promise<FileRecord> {
  const { api, options, source: src } = run;
  const { signal, store } = options;
  let sessionId = run.session?.sessionId;
  try {
    signal?.throwIfAborted();
    const found = await findSession(run);
    if (found && 'done' in found) {
      const { done, totalChunks } = found;
      sessionId = done.sessionId;
      options.onSession?.({ sessionId, resumed: true, totalChunks, missingChunks: 0 });
      const meter = new ProgressMeter(src.size, totalChunks, {
        bytes: src.size,
        chunks: totalChunks,
        now: Date.now(),
      });
      options.onProgress?.(meter.snapshot(Date.now()));
      await store?.delete(run.key);
      return done;
    }
    if (!found) run.onInitiating?.();
    const started = found ?? (await initiate(api, src, run.fileName, options, run.idempotencyKey));
    sessionId = started.id;
    run.onStarted?.({
      sessionId: started.id,
      checksum: started.checksum,
      totalChunks: started.totalChunks,
    });
    if (store && !found) {
      await store.set(run.key, {
        sessionId: started.id,
        fileName: run.fileName,
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
    const record = await send(run, started);
    await store?.delete(run.key);
    return record;
  } catch (error) {
    if (signal?.aborted) throw new UploadAbortedError(sessionId, { cause: error });
    throw error;
  }
}

/** The known session, else the stored one; undefined when a new session is needed. */
async function findSession(run: UploadRun): Promise<Started | Finished | undefined> {
  const { api, source } = run;
  const { signal, store } = run.options;
  if (run.session) {
    const state = await resumeSession(api, run.session, source.size, signal);
    if (!state) throw new Error(`session ${run.session.sessionId} no longer fits ${run.fileName}`);
    return state;
  }
  return store ? resumeStored(api, store, run.key, source.size, signal) : undefined;
}

/** Sends the missing chunks and completes, sending again what complete lists as missing. */
async function send(run: UploadRun, started: Started): Promise<FileRecord> {
  const { api, options, concurrency } = run;
  const { signal } = options;
  const layout: ChunkLayout = {
    fileSize: run.source.size,
    chunkSize: started.chunkSize,
    totalChunks: started.totalChunks,
  };
  const meter = new ProgressMeter(layout.fileSize, started.totalChunks, {
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
      source: run.source,
      chunks: missing,
      concurrency,
      ...(run.permits ? { permits: run.permits } : {}),
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
      return await api.complete(
        started.id,
        options.fileSha256 ? { fileSha256: options.fileSha256 } : {},
        call,
      );
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
