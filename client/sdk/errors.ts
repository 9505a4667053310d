/** An error answer of the upload API: the envelope's code, message and details, and the status. */
export class UploadApiError extends Error {
  override readonly name = 'UploadApiError';
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    status: number,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** Storage refused a chunk PUT in a way that re-signing or retrying does not fix. */
export class UploadStorageError extends Error {
  override readonly name = 'UploadStorageError';
  readonly status: number;
  readonly chunkNumber: number;

  constructor(message: string, status: number, chunkNumber: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.chunkNumber = chunkNumber;
  }
}

/**
 * The upload was paused by its AbortSignal. The session is kept (and remembered by the resume
 * store, when there is one): uploading the same file again resumes it.
 */
export class UploadAbortedError extends Error {
  override readonly name = 'AbortError';
  readonly sessionId: string | undefined;

  constructor(sessionId: string | undefined, options?: { cause?: unknown }) {
    super(
      sessionId
        ? `Upload paused; session ${sessionId} is kept and can be resumed`
        : 'Upload aborted before a session was created',
      options,
    );
    this.sessionId = sessionId;
  }
}

/** The task was cancelled by `cancel()`: its session, if it had one, was cancelled too. */
export class UploadCancelledError extends Error {
  override readonly name = 'UploadCancelledError';
  readonly sessionId: string | undefined;

  constructor(sessionId: string | undefined, options?: { cause?: unknown }) {
    super(
      sessionId ? `Upload cancelled; session ${sessionId} was cancelled` : 'Upload cancelled',
      options,
    );
    this.sessionId = sessionId;
  }
}

/** The task ran past its `timeoutMs`; its session is kept until it expires. */
export class UploadTimeoutError extends Error {
  override readonly name = 'UploadTimeoutError';
  readonly sessionId: string | undefined;
  readonly timeoutMs: number;

  constructor(timeoutMs: number, sessionId: string | undefined, options?: { cause?: unknown }) {
    super(`Upload timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
    this.sessionId = sessionId;
  }
}

export const isAbortError = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
