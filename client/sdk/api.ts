import { UploadApiError } from './errors.ts';
import {
  isRetryableStatus,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetry,
  waitToRetry,
} from './retry.ts';
import { jwtExpiry } from './token-jwt.ts';
import type {
  BatchRecordResult,
  ChunkRecordInput,
  ChunkUrl,
  DeletedFile,
  DownloadLink,
  FileRecord,
  InitiateRequest,
  RecordedChunk,
  ResumeState,
  SessionPage,
  UploadProgressState,
  UploadSession,
} from './types.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** What the client tells a token function when it asks again after a 401. */
export interface TokenRequest {
  /** The server refused the last token: return a new one, not a cached one. */
  readonly forceRefresh?: boolean;
  /** The token the server refused (so concurrent callers refresh once: a newer token is fine). */
  readonly rejectedToken?: string;
}

/**
 * A bearer token, or a function asked for one before every request (so it may refresh). After a
 * 401 a function is asked again with `{ forceRefresh: true }` and the request is sent once more.
 */
export type TokenProvider = string | ((request?: TokenRequest) => string | Promise<string>);

export interface ApiClientOptions {
  /** The server root (`https://api.example.com`) or the API base ending in `/api/v1`. */
  readonly apiUrl: string;
  readonly token: TokenProvider;
  readonly fetch?: FetchLike;
  readonly retry?: RetryOptions;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

interface RequestOptions extends CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** The API base URL: `<root>/api/v1`, whether or not the caller already included it. */
export function apiBaseUrl(apiUrl: string): string {
  const trimmed = apiUrl.trim().replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(trimmed))
    throw new TypeError(`apiUrl must be an http(s) URL: ${apiUrl}`);
  return /\/api\/v1$/.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}

/** Quota answers are not throttling: retrying them soon does not help. */
const NEVER_RETRIED = new Set(['TOO_MANY_ACTIVE_UPLOADS']);

function isRetryableAnswer(error: UploadApiError): boolean {
  if (error.code === 'COMPLETION_IN_PROGRESS') return true;
  return isRetryableStatus(error.status) && !NEVER_RETRIED.has(error.code);
}

/** A client for every route of the contract, with retries on transient failures. */
export class UploadApiClient {
  readonly baseUrl: string;
  readonly retry: ResolvedRetryOptions;
  private readonly fetchImpl: FetchLike;
  private readonly token: TokenProvider;

  constructor(options: ApiClientOptions) {
    this.baseUrl = apiBaseUrl(options.apiUrl);
    this.retry = resolveRetry(options.retry);
    this.token = options.token;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The fetch this client uses, for storage requests that should share it. */
  get fetch(): FetchLike {
    return this.fetchImpl;
  }

  initiate(body: InitiateRequest, options: CallOptions & { idempotencyKey?: string } = {}) {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return this.call<UploadSession>('POST', '/uploads/initiate', { ...options, body, headers });
  }

  signChunks(
    id: string,
    chunks: readonly { chunkNumber: number; checksumSha256?: string }[],
    options: CallOptions = {},
  ) {
    return this.call<{ chunks: ChunkUrl[] }>('POST', `${sessionPath(id)}/chunks`, {
      ...options,
      body: { chunks },
    });
  }

  recordChunk(
    id: string,
    chunkNumber: number,
    body: { etag: string; checksumSha256?: string },
    options: CallOptions = {},
  ) {
    return this.call<RecordedChunk>('PUT', `${sessionPath(id)}/chunks/${chunkNumber}`, {
      ...options,
      body,
    });
  }

  /** Records up to 100 stored chunks in one call; each is recorded or rejected on its own. */
  recordChunks(id: string, chunks: readonly ChunkRecordInput[], options: CallOptions = {}) {
    return this.call<BatchRecordResult>('PUT', `${sessionPath(id)}/chunks`, {
      ...options,
      body: { chunks },
    });
  }

  progress(id: string, options: CallOptions = {}) {
    return this.call<UploadProgressState>('GET', `${sessionPath(id)}/progress`, options);
  }

  resume(id: string, options: CallOptions = {}) {
    return this.call<ResumeState>('POST', `${sessionPath(id)}/resume`, options);
  }

  complete(id: string, body: { fileSha256?: string } = {}, options: CallOptions = {}) {
    return this.call<FileRecord>('POST', `${sessionPath(id)}/complete`, { ...options, body });
  }

  async cancel(id: string, options: CallOptions = {}): Promise<string> {
    const envelope = await this.request('DELETE', sessionPath(id), options);
    return typeof envelope.message === 'string' ? envelope.message : 'Upload cancelled';
  }

  /** Deletes the finished file of an `uploaded` session; the session becomes `deleted`. */
  deleteFile(id: string, options: CallOptions = {}) {
    return this.call<DeletedFile>('DELETE', `${sessionPath(id)}/file`, options);
  }

  get(id: string, options: CallOptions = {}) {
    return this.call<UploadSession>('GET', sessionPath(id), options);
  }

  downloadUrl(id: string, options: CallOptions = {}) {
    return this.call<DownloadLink>('GET', `${sessionPath(id)}/download`, options);
  }

  list(
    query: { status?: 'active' | 'uploaded' | 'all'; limit?: number; cursor?: string } = {},
    options: CallOptions = {},
  ) {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor) params.set('cursor', query.cursor);
    const search = params.size > 0 ? `?${params}` : '';
    return this.call<SessionPage>('GET', `/uploads${search}`, options);
  }

  private async call<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const envelope = await this.request(method, path, options);
    return envelope.data as T;
  }

  /**
   * One API call with retries; resolves to the success envelope, or throws UploadApiError. A 401
   * asks a token function again (`forceRefresh`) and sends the request once more; a second 401
   * (or the first, for a fixed token) throws UNAUTHORIZED.
   */
  async request(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    let tokenRequest: TokenRequest | undefined;
    let reauthenticated = false;
    for (let attempt = 0; ; ) {
      let failure: UploadApiError;
      let retryAfter: string | null = null;
      let token: string | undefined;
      try {
        const asked = tokenRequest;
        tokenRequest = undefined;
        token = await this.resolveToken(asked);
        const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${token}`,
            ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...options.headers,
          },
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const text = await response.text();
        const envelope = parseEnvelope(text);
        if (response.ok && envelope?.success === true) return envelope;
        failure = toApiError(response, envelope);
        if (response.status === 401) {
          if (typeof this.token === 'function' && !reauthenticated) {
            reauthenticated = true;
            tokenRequest = { forceRefresh: true, rejectedToken: token };
            continue; // at once, and not counted as a retry
          }
          throw unauthorized(failure, token);
        }
        if (!isRetryableAnswer(failure)) throw failure;
        retryAfter = response.headers.get('retry-after');
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof UploadApiError) {
          if (!isRetryableAnswer(error)) throw error;
          failure = error;
        } else {
          failure = new UploadApiError(
            'NETWORK_ERROR',
            `${method} ${path} failed: ${describe(error)}`,
            0,
            undefined,
            { cause: error },
          );
        }
      }
      if (attempt >= this.retry.retries) throw failure;
      await waitToRetry(attempt, retryAfter, failure, this.retry, options.signal);
      attempt++;
    }
  }

  private async resolveToken(request: TokenRequest | undefined): Promise<string> {
    if (typeof this.token !== 'function') return this.token;
    return await (request ? this.token(request) : this.token());
  }
}

const sessionPath = (id: string) => `/uploads/${encodeURIComponent(id)}`;

function parseEnvelope(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function toApiError(response: Response, envelope: Record<string, unknown> | undefined) {
  const error = envelope?.error as Record<string, unknown> | undefined;
  if (error && typeof error.code === 'string') {
    const details =
      error.details && typeof error.details === 'object'
        ? (error.details as Record<string, unknown>)
        : undefined;
    return new UploadApiError(
      error.code,
      typeof error.message === 'string' ? error.message : error.code,
      response.status,
      details,
    );
  }
  if (response.ok) {
    return new UploadApiError(
      'INVALID_RESPONSE',
      `Unexpected response body (HTTP ${response.status})`,
      response.status,
    );
  }
  return new UploadApiError(
    `HTTP_${response.status}`,
    `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    response.status,
  );
}

/**
 * A 401 as UNAUTHORIZED (API Gateway's JWT authorizer answers `{"message":"Unauthorized"}`), saying
 * so when the token is a JWT past its `exp`.
 */
function unauthorized(failure: UploadApiError, token: string | undefined): UploadApiError {
  const expiry = jwtExpiry(token);
  const message =
    expiry !== undefined && expiry <= Date.now()
      ? `Unauthorized: the bearer token expired at ${new Date(expiry).toISOString()}`
      : failure.code === 'UNAUTHORIZED'
        ? failure.message
        : 'Unauthorized: the server refused the bearer token';
  return new UploadApiError('UNAUTHORIZED', message, 401, failure.details, { cause: failure });
}

export const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
};
