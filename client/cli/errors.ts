/** Failures in one line each, without stack traces, in the words a user can act on. */
import { UploadApiError, UploadStorageError } from '../sdk/errors.ts';
import { unauthorizedLine } from './token-expiry.ts';

export interface ErrorContext {
  /** The last token sent, to say whether a 401 means it expired. */
  readonly token?: string | undefined;
}

/** Storage or the API could not be reached at all (after every retry). */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof UploadApiError) return error.code === 'NETWORK_ERROR';
  if (error instanceof UploadStorageError) return error.status === 0;
  return false;
}

export const isUnauthorized = (error: unknown): boolean =>
  error instanceof UploadApiError && error.status === 401;

/** One line that says what went wrong. */
export function errorLine(error: unknown, context: ErrorContext = {}): string {
  if (isUnauthorized(error)) return unauthorizedLine(context.token);
  if (error instanceof UploadApiError) {
    if (error.code === 'NETWORK_ERROR') return `the API is unreachable: ${error.message}`;
    return `${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ''})`;
  }
  if (error instanceof UploadStorageError)
    return error.status === 0 ? `storage is unreachable: ${error.message}` : error.message;
  const errno = error as NodeJS.ErrnoException;
  if (errno?.code === 'ENOENT' && errno.path) return `no such file: ${errno.path}`;
  if (errno?.code === 'EACCES' && errno.path) return `permission denied: ${errno.path}`;
  if (errno?.code === 'EISDIR' && errno.path) return `is a directory: ${errno.path}`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] || 'unknown error';
}
