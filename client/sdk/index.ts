/** The upload SDK for browsers and Node 20+ (Node-only helpers are in `./node.ts`). */
export {
  type ApiClientOptions,
  apiBaseUrl,
  type CallOptions,
  type FetchLike,
  type TokenProvider,
  type TokenRequest,
  UploadApiClient,
} from './api.ts';
export { formatBytes } from './bytes.ts';
export {
  isAbortError,
  UploadAbortedError,
  UploadApiError,
  UploadCancelledError,
  UploadStorageError,
  UploadTimeoutError,
} from './errors.ts';
export { fingerprint } from './fingerprint.ts';
export type { ChunkHasher } from './hash.ts';
export { cancel, deleteFile, type ManageOptions } from './manage.ts';
export type { UploadProgress } from './progress.ts';
export {
  createUploadQueue,
  DEFAULT_FILES_IN_PARALLEL,
  type QueuedFileOptions,
  type QueueProgress,
  type TaskStateChangeInQueue,
  type UploadQueue,
  type UploadQueueEvents,
  type UploadQueueOptions,
} from './queue.ts';
export { DEFAULT_RECORD_BATCH, type RecordBatchOptions } from './record-batcher.ts';
export { DEFAULT_RETRY, type RetryEvent, type RetryOptions } from './retry.ts';
export { blobSource, type UploadSource } from './source.ts';
export {
  localStorageStore,
  memoryStore,
  type ResumeStore,
  type StoredUpload,
} from './store.ts';
export {
  createUpload,
  DEFAULT_QUOTA_WAIT_MS,
  isTerminal,
  type QuotaBackoff,
  TASK_STATES,
  type TaskState,
  type TaskStateChange,
  type TerminalState,
  type UploadOutcome,
  type UploadTask,
  type UploadTaskEvents,
  type UploadTaskOptions,
} from './task.ts';
export type * from './types.ts';
export { type SessionStart, type UploadOptions, upload } from './upload.ts';
export {
  defaultLiveUrl,
  FINAL_STATUSES,
  type WaitForOptions,
  type Watch,
  type WatchCloseEvent,
  type WatchEvents,
  type WatchMode,
  type WatchOptions,
  type WebSocketConstructor,
  type WebSocketLike,
  waitFor,
  watch,
} from './watch.ts';
