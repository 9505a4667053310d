import { UploadApiError } from './errors.ts';
import {
  isRetryableStatus,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetry,
  retryDelay,
  sleep,
} from './retry.ts';
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
/** A bearer token, or a function asked for one before every request (so it may refresh). */
export type TokenProvider = string | (() => string | Promise<string>);

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

  /** One API call with retries; resolves to the success envelope, or throws UploadApiError. */
  async request(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      let failure: UploadApiError;
      let retryAfter: string | null = null;
      try {
        const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            authorization: `Bearer ${await this.resolveToken()}`,
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
      await sleep(retryDelay(attempt, retryAfter, this.retry), options.signal);
    }
  }

  private async resolveToken(): Promise<string> {
    return typeof this.token === 'function' ? await this.token() : this.token;
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

export const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
};
