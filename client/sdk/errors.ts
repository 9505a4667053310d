/** An error answer of the upload API: the envelope's code, message and details, and the status. */
export class UploadApiError extends Error {
  override readonly name = 'UploadApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Storage refused a chunk PUT in a way that re-signing or retrying does not fix. */
export class UploadStorageError extends Error {
  override readonly name = 'UploadStorageError';
  constructor(
    message: string,
    readonly status: number,
    readonly chunkNumber: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The upload was paused by its AbortSignal. The session is kept (and remembered by the resume
 * store, when there is one): uploading the same file again resumes it.
 */
export class UploadAbortedError extends Error {
  override readonly name = 'AbortError';
  constructor(
    readonly sessionId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      sessionId
        ? `Upload paused; session ${sessionId} is kept and can be resumed`
        : 'Upload aborted before a session was created',
      options,
    );
  }
}

export const isAbortError = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
