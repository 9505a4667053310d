/**
 * Uppy's `@uppy/aws-s3` (multipart) on this API instead of Companion: the Dashboard, or any Uppy
 * UI, keeps working while every part is bound to its size and SHA-256, recorded in the server's
 * ledger and assembled by the server. Browser-safe; nothing of Uppy is imported (the options are
 * typed structurally), so using this entry does not need Uppy's types installed.
 *
 *   import AwsS3 from '@uppy/aws-s3';
 *   import { uploadApiUppyOptions } from '@upload-api/client/uppy';
 *   uppy.use(AwsS3, uploadApiUppyOptions({ apiUrl, token, uploadPartBytes: AwsS3.uploadPartBytes }));
 */
import { type ApiClientOptions, UploadApiClient } from './api.ts';
import { UploadApiError } from './errors.ts';
import { type ChunkHasher, sha256Base64 } from './hash.ts';
import { MAX_RECORD_BATCH, RecordBatcher, type RecordBatchOptions } from './record-batcher.ts';
import { refusalError } from './resends.ts';
import type { ChecksumMode, ChunkRecordInput, FileRecord } from './types.ts';
import {
  checkPreferredPartSize,
  MIN_PART_SIZE,
  partSizeFor,
  uppyPartCount,
} from './uppy-part-size.ts';

export { MAX_PARTS, MIN_PART_SIZE, partSizeFor, uppyPartCount } from './uppy-part-size.ts';

/** What the adapter reads of an Uppy file (Uppy's `UppyFile` has all of it). */
export interface UppyFileLike {
  readonly name?: string | undefined;
  readonly size: number | null;
  readonly type?: string | undefined;
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
  readonly data?: { readonly size: number | null } | undefined;
}

/** `signPart`'s second argument. */
export interface UppySignPartOptions {
  readonly uploadId?: string | undefined;
  readonly key?: string | undefined;
  readonly partNumber: number;
  readonly body: Blob;
  readonly signal?: AbortSignal | undefined;
}

/** The upload a `listParts` or `abortMultipartUpload` call is about. */
export interface UppyUploadRef {
  readonly uploadId?: string | undefined;
  readonly key?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A part as Uppy lists and completes them (`AwsS3Part`). */
export interface UppyPart {
  PartNumber?: number;
  Size?: number;
  ETag?: string;
}

export interface UppyCompleteOptions extends UppyUploadRef {
  readonly parts: readonly UppyPart[];
}

/** How Uppy PUTs one part: what `signPart` answers. */
export interface UppyPartRequest {
  readonly method: 'PUT';
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** What Uppy's `uploadPartBytes` is given and answers (`AwsS3.uploadPartBytes`). */
export interface UppyPartBytesOptions {
  readonly signature: {
    readonly url?: string;
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
  };
  readonly body: Blob | FormData;
  readonly size?: number | undefined;
  readonly onProgress: unknown;
  readonly onComplete: unknown;
  readonly signal?: AbortSignal | undefined;
}
export interface UppyPartBytesResult {
  readonly ETag: string;
  readonly location?: string | undefined;
}

/** What `completeMultipartUpload` answers; Uppy puts it in `response.body` of `upload-success`. */
export interface UppyCompleted {
  /** The download URL (`location: 'download'`, the default) or the object key. */
  readonly location: string;
  readonly key: string;
  readonly sessionId: string;
  readonly file: FileRecord;
}

export interface UppyAdapterOptions extends ApiClientOptions {
  /** `SHA256` (default): every part is hashed and its URL bound to its SHA-256. */
  readonly checksum?: ChecksumMode;
  /**
   * Preferred part size in bytes (5 MiB to 5 GiB, default 5 MiB). Each session asks the server
   * for it; for files that would need more than 10,000 parts it is raised as the server raises
   * it, and a session whose chunk size is not the one Uppy cuts fails at once.
   */
  readonly chunkSize?: number;
  /**
   * The session's metadata: names of Uppy meta fields to send (values as strings), or a function
   * of the file. Default none (Uppy's meta holds `name`, `type`, `relativePath`, ...).
   */
  readonly metadata?:
    | readonly string[]
    | ((file: UppyFileLike) => Record<string, string> | undefined);
  /** Base64 SHA-256 of a part (default WebCrypto). */
  readonly sha256?: ChunkHasher;
  /** What `location` holds: a presigned download URL (default) or the object key. */
  readonly location?: 'download' | 'key';
  /**
   * Pass `AwsS3.uploadPartBytes` to record each part in the server's ledger as soon as storage
   * has it (in background batches); without it every part is recorded at completion.
   */
  uploadPartBytes?(options: UppyPartBytesOptions): Promise<UppyPartBytesResult>;
  /** Batching of the records made as parts finish (see `uploadPartBytes`). */
  readonly recordBatch?: RecordBatchOptions;
}

/** The options to give `uppy.use(AwsS3, ...)`. */
export interface UploadApiUppyOptions {
  readonly shouldUseMultipart: true;
  getChunkSize(file: { readonly size: number | null }): number;
  createMultipartUpload(file: UppyFileLike): Promise<{ uploadId: string; key: string }>;
  signPart(file: UppyFileLike, options: UppySignPartOptions): Promise<UppyPartRequest>;
  listParts(file: UppyFileLike, options: UppyUploadRef): Promise<UppyPart[]>;
  completeMultipartUpload(file: UppyFileLike, options: UppyCompleteOptions): Promise<UppyCompleted>;
  abortMultipartUpload(file: UppyFileLike, options: UppyUploadRef): Promise<void>;
  uploadPartBytes?(options: UppyPartBytesOptions): Promise<UppyPartBytesResult>;
}

/** The session's chunk size is not the part size Uppy cuts: the upload cannot go on. */
export class UppyPartSizeError extends Error {
  override readonly name = 'UppyPartSizeError';
}

/** What the adapter knows of one session while Uppy uploads it. */
interface SessionState {
  readonly id: string;
  /** Chunk number -> the ETag the server recorded it with (as storage answered the PUT). */
  readonly recorded: Map<number, string>;
  /** Chunk number -> the SHA-256 its URL was signed with. */
  readonly checksums: Map<number, string>;
  batcher: RecordBatcher | undefined;
}

/** A signed part, so that `uploadPartBytes` knows which chunk it stored. */
interface SignedPart {
  readonly sessionId: string;
  readonly chunkNumber: number;
  readonly checksumSha256: string | undefined;
}

/**
 * The options that make `@uppy/aws-s3` upload through the API: `createMultipartUpload` initiates
 * a session (`uploadId` is the session id, `key` its object key), `signPart` hashes the part and
 * asks for its URL (bound to its size and SHA-256), `listParts` asks `POST /resume` what the
 * ledger holds, `completeMultipartUpload` records the parts Uppy stored (verified against
 * storage, 100 per call) and completes, `abortMultipartUpload` cancels the session.
 */
export function uploadApiUppyOptions(options: UppyAdapterOptions): UploadApiUppyOptions {
  const api = new UploadApiClient(options);
  const checksum: ChecksumMode = options.checksum ?? 'SHA256';
  const preferred = checkPreferredPartSize(options.chunkSize ?? MIN_PART_SIZE);
  const hash = options.sha256 ?? sha256Base64;
  const sessions = new Map<string, SessionState>();
  const signedParts = new WeakMap<object, SignedPart>();

  const stateOf = (id: string): SessionState => {
    let state = sessions.get(id);
    if (!state) {
      state = { id, recorded: new Map(), checksums: new Map(), batcher: undefined };
      sessions.set(id, state);
    }
    return state;
  };

  const recordSoon = (part: SignedPart, etag: string) => {
    const state = stateOf(part.sessionId);
    if (!state.batcher) {
      const batcher = new RecordBatcher(
        {
          send: (entries) => api.recordChunks(state.id, entries),
          onAnswer: (sent, answer) => noteRecorded(state, sent, answer.recorded),
          // Not fatal: completion records whatever the ledger does not hold yet.
          onError: () => {
            if (state.batcher === batcher) state.batcher = undefined;
          },
        },
        options.recordBatch,
      );
      state.batcher = batcher;
    }
    state.batcher.add(entryOf(part.chunkNumber, etag, part.checksumSha256));
  };

  const adapter: UploadApiUppyOptions = {
    shouldUseMultipart: true,

    getChunkSize: (file) => partSizeFor(file.size ?? 0, preferred),

    async createMultipartUpload(file) {
      const fileSize = sizeOf(file);
      const chunkSize = partSizeFor(fileSize, preferred);
      const metadata = metadataOf(file, options.metadata);
      const session = await api.initiate(
        {
          fileName: file.name || 'file',
          fileSize,
          checksum,
          chunkSize,
          ...(file.type ? { contentType: file.type } : {}),
          ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
        },
        // One key per upload: a retried initiate answers the session it created.
        { idempotencyKey: globalThis.crypto.randomUUID() },
      );
      const parts = uppyPartCount(fileSize, chunkSize);
      if (session.chunkSize !== chunkSize || session.totalChunks !== parts) {
        await api.cancel(session.id).catch(() => undefined);
        throw new UppyPartSizeError(
          `The server chose ${session.totalChunks} chunks of ${session.chunkSize} bytes for ` +
            `${file.name} but Uppy cuts ${parts} parts of ${chunkSize} bytes; the session was cancelled`,
        );
      }
      stateOf(session.id);
      return { uploadId: session.id, key: session.key };
    },

    async signPart(_file, { uploadId, partNumber, body, signal }) {
      const id = sessionIdOf(uploadId);
      const chunkNumber = partNumber - 1;
      const checksumSha256 =
        checksum === 'SHA256'
          ? await hash(new Uint8Array(await body.arrayBuffer()) as Uint8Array<ArrayBuffer>)
          : undefined;
      const answer = await api.signChunks(
        id,
        [{ chunkNumber, ...(checksumSha256 ? { checksumSha256 } : {}) }],
        signal ? { signal } : {},
      );
      const url = answer.chunks.find((c) => c.chunkNumber === chunkNumber);
      if (!url) throw new UploadApiError('INVALID_RESPONSE', `no URL for part ${partNumber}`, 200);
      if (url.size !== body.size)
        throw new UppyPartSizeError(
          `Part ${partNumber} of session ${id} has ${body.size} bytes; the server expects ${url.size}`,
        );
      if (checksumSha256) stateOf(id).checksums.set(chunkNumber, checksumSha256);
      const request: UppyPartRequest = { method: 'PUT', url: url.url, headers: { ...url.headers } };
      signedParts.set(request, { sessionId: id, chunkNumber, checksumSha256 });
      return request;
    },

    async listParts(file, { uploadId, signal }) {
      const id = sessionIdOf(uploadId);
      const call = signal ? { signal } : {};
      let layout: { chunkSize: number; totalChunks: number; missing: readonly number[] };
      try {
        const state = await api.resume(id, call);
        layout = { ...state, missing: state.missingChunks };
      } catch (error) {
        // Completed (or completing) already, its answer lost: every part is there, and
        // complete answers the finished file again.
        if (!isFinishing(error)) throw error;
        const session = await api.get(id, call);
        layout = { ...session, missing: [] };
      }
      const fileSize = sizeOf(file);
      const partSize = partSizeFor(fileSize, preferred);
      if (layout.chunkSize !== partSize || layout.totalChunks !== uppyPartCount(fileSize, partSize))
        throw new UppyPartSizeError(
          `Session ${id} has ${layout.totalChunks} chunks of ${layout.chunkSize} bytes but Uppy ` +
            `cuts ${uppyPartCount(fileSize, partSize)} parts of ${partSize} bytes`,
        );
      stateOf(id);
      const missing = new Set(layout.missing);
      const parts: UppyPart[] = [];
      for (let n = 0; n < layout.totalChunks; n++) {
        if (missing.has(n)) continue;
        const start = n * layout.chunkSize;
        // No ETag: the ledger holds these parts already; completion does not record them again.
        parts.push({
          PartNumber: n + 1,
          Size: Math.min(fileSize, start + layout.chunkSize) - start,
        });
      }
      return parts;
    },

    async completeMultipartUpload(file, { uploadId, key: uppyKey, parts, signal }) {
      const id = sessionIdOf(uploadId);
      const call = signal ? { signal } : {};
      const state = stateOf(id);
      const batcher = state.batcher;
      if (batcher) {
        batcher.flush();
        await batcher.settled();
        batcher.stop();
        state.batcher = undefined;
      }
      const entries: ChunkRecordInput[] = [];
      for (const part of parts) {
        if (part.PartNumber === undefined || !part.ETag) continue;
        const n = part.PartNumber - 1;
        if (state.recorded.get(n) === part.ETag) continue;
        entries.push(entryOf(n, part.ETag, state.checksums.get(n)));
      }
      for (let at = 0; at < entries.length; at += MAX_RECORD_BATCH) {
        const batch = entries.slice(at, at + MAX_RECORD_BATCH);
        const answer = await api.recordChunks(id, batch, call);
        noteRecorded(state, batch, answer.recorded);
        const refused = answer.rejected[0];
        if (refused)
          throw refusalError(
            refused.chunkNumber,
            refused,
            `Part ${refused.chunkNumber + 1} of ${file.name} was not recorded: ${refused.message}`,
          );
      }
      const record = await api.complete(id, {}, call);
      sessions.delete(id);
      const key = record.key ?? uppyKey ?? '';
      const location =
        options.location === 'key'
          ? key
          : await api.downloadUrl(id, call).then(
              (link) => link.url,
              () => key, // the file is uploaded; a missing link must not fail it
            );
      return { location, key, sessionId: id, file: record };
    },

    async abortMultipartUpload(_file, { uploadId }) {
      const id = sessionIdOf(uploadId);
      sessions.get(id)?.batcher?.stop();
      sessions.delete(id);
      await api.cancel(id);
    },
  };

  const uploadPartBytes = options.uploadPartBytes;
  if (!uploadPartBytes) return adapter;
  return {
    ...adapter,
    async uploadPartBytes(partOptions) {
      const result = await uploadPartBytes.call(options, partOptions);
      const part = signedParts.get(partOptions.signature);
      if (part && result?.ETag) recordSoon(part, result.ETag);
      return result;
    },
  };
}

function sessionIdOf(uploadId: string | undefined): string {
  if (!uploadId) throw new TypeError('Uppy gave no uploadId (the session id)');
  return uploadId;
}

function sizeOf(file: UppyFileLike): number {
  const size = file.size ?? file.data?.size;
  if (typeof size !== 'number') throw new TypeError(`${file.name} has no known size`);
  return size;
}

const entryOf = (chunkNumber: number, etag: string, checksumSha256: string | undefined) => ({
  chunkNumber,
  etag,
  ...(checksumSha256 ? { checksumSha256 } : {}),
});

/** Notes the recorded entries with the ETag they were sent with (Uppy's own string). */
function noteRecorded(
  state: SessionState,
  sent: readonly ChunkRecordInput[],
  recorded: readonly { chunkNumber: number }[],
): void {
  const done = new Set(recorded.map((r) => r.chunkNumber));
  for (const entry of sent)
    if (done.has(entry.chunkNumber)) state.recorded.set(entry.chunkNumber, entry.etag);
}

function metadataOf(
  file: UppyFileLike,
  choice: UppyAdapterOptions['metadata'],
): Record<string, string> | undefined {
  if (!choice) return undefined;
  if (typeof choice === 'function') return choice(file);
  const meta = file.meta ?? {};
  const picked: Record<string, string> = {};
  for (const field of choice) {
    const value = meta[field];
    if (value !== undefined && value !== null) picked[field] = String(value);
  }
  return picked;
}

/** Resume refuses a session that is completing or already uploaded: INVALID_STATE. */
const isFinishing = (error: unknown): boolean =>
  error instanceof UploadApiError &&
  error.code === 'INVALID_STATE' &&
  (error.details?.status === 'uploaded' || error.details?.status === 'completing');
