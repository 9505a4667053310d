import { type ApiClientOptions, type CallOptions, UploadApiClient } from './api.ts';
import type { DeletedFile } from './types.ts';

export type ManageOptions = ApiClientOptions & CallOptions;

const call = (options: ManageOptions) => (options.signal ? { signal: options.signal } : {});

/** Cancels a session: the server aborts the multipart upload and releases its parts. */
export async function cancel(sessionId: string, options: ManageOptions): Promise<void> {
  await new UploadApiClient(options).cancel(sessionId, call(options));
}

/**
 * Deletes the finished file of an `uploaded` session; the session becomes `deleted` and its
 * download link answers 410 `FILE_DELETED`. Repeating it is harmless.
 */
export function deleteFile(sessionId: string, options: ManageOptions): Promise<DeletedFile> {
  return new UploadApiClient(options).deleteFile(sessionId, call(options));
}
