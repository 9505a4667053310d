/** The upload SDK for browsers and Node 20+ (Node-only helpers are in `./node.ts`). */
export {
  type ApiClientOptions,
  apiBaseUrl,
  type CallOptions,
  type FetchLike,
  type TokenProvider,
  UploadApiClient,
} from './api.ts';
export { isAbortError, UploadAbortedError, UploadApiError, UploadStorageError } from './errors.ts';
export { fingerprint } from './fingerprint.ts';
export type { ChunkHasher } from './hash.ts';
export { cancel, deleteFile, type ManageOptions } from './manage.ts';
export type { UploadProgress } from './progress.ts';
export { DEFAULT_RECORD_BATCH, type RecordBatchOptions } from './record-batcher.ts';
export { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
export { blobSource, type UploadSource } from './source.ts';
export {
  localStorageStore,
  memoryStore,
  type ResumeStore,
  type StoredUpload,
} from './store.ts';
export type * from './types.ts';
export { type SessionStart, type UploadOptions, upload } from './upload.ts';
