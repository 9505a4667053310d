import { apiBaseUrl, type FetchLike, type TokenProvider, UploadApiClient } from './api.ts';
import { Emitter } from './emitter.ts';
import { UploadApiError } from './errors.ts';
import { backoffDelay, type RetryOptions } from './retry.ts';
import type { SessionStatus, UploadProgressState } from './types.ts';

/**
 * Live progress of one session (shared/API.md, "Live progress (WebSocket)"): over a WebSocket
 * when one can be opened, else by polling GET /progress, trying the socket again now and then.
 * Browser-safe: the global WebSocket, or the constructor given (Node 20: the `ws` package).
 */

/** The part of a WebSocket this uses: the browser's, Node 22+'s global one, or `ws`'s. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Statuses after which nothing changes for a watcher: the watch ends with the first one seen. */
export const FINAL_STATUSES: readonly SessionStatus[] = [
  'uploaded',
  'cancelled',
  'failed',
  'deleted',
  'expired',
];

/** `socket`: live; `polling`: GET /progress every `pollIntervalMs`; `connecting`: neither yet. */
export type WatchMode = 'connecting' | 'socket' | 'polling';

export interface WatchCloseEvent {
  /** `final`: a final status arrived; `closed`: close() or the signal; `error`: a fatal error. */
  readonly reason: 'final' | 'closed' | 'error';
  readonly last: UploadProgressState | undefined;
  readonly error?: Error;
}

export interface WatchEvents {
  /** A new state of the session (an unchanged one is not repeated). */
  progress: UploadProgressState;
  /**
   * A failure: fatal ones (the session is not found or not the caller's, the token is refused)
   * end the watch; others (a poll failed, the server had a hiccup) are retried.
   */
  error: Error;
  mode: WatchMode;
  close: WatchCloseEvent;
}

export interface WatchOptions {
  /** The server root or the API base ending in `/api/v1`. */
  readonly apiUrl: string;
  readonly token: TokenProvider;
  /**
   * The WebSocket URL. @default the API base with `ws(s)://` and `/live` appended, which is
   * where the local server answers; a deployed stack names its own (the `LiveUrl` output).
   */
  readonly liveUrl?: string;
  /**
   * @default globalThis.WebSocket (browsers, Node 22+); `null`, or no WebSocket anywhere: watch
   * only polls.
   */
  readonly WebSocket?: WebSocketConstructor | null;
  readonly fetch?: FetchLike;
  /** Polling interval when no socket can be opened. @default 2000 */
  readonly pollIntervalMs?: number;
  /** First wait before trying the socket again after it could not be opened. @default 5000 */
  readonly socketRetryMs?: number;
  /** Longest wait between socket attempts (backoff doubles up to it). @default 60000 */
  readonly maxSocketRetryMs?: number;
  /** Retries of each GET /progress poll (the API client's). */
  readonly retry?: RetryOptions;
  /** Aborting it closes the watch. */
  readonly signal?: AbortSignal;
}

export interface Watch extends AsyncIterable<UploadProgressState> {
  /** Returns its own unsubscribe function. */
  on<E extends keyof WatchEvents>(event: E, listener: (value: WatchEvents[E]) => void): () => void;
  readonly mode: WatchMode;
  /** The last state seen. */
  readonly last: UploadProgressState | undefined;
  /** Resolves when the watch ends, whatever the reason. */
  readonly closed: Promise<WatchCloseEvent>;
  close(): void;
}

/** WebSocket.OPEN */
const OPEN = 1;
/** Errors that no retry fixes: the watch ends with them. */
const FATAL_CODES = new Set(['SESSION_NOT_FOUND', 'VALIDATION_ERROR', 'UNAUTHORIZED']);
const STATUS_OF_CODE: Record<string, number> = {
  SESSION_NOT_FOUND: 404,
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
};

export function watch(sessionId: string, options: WatchOptions): Watch {
  return new SessionWatch(sessionId, options);
}

export interface WaitForOptions extends Omit<WatchOptions, 'signal'> {
  /** The status (or any of the statuses) to wait for. @default any final status */
  readonly status?: SessionStatus | readonly SessionStatus[];
  /** Gives up (UploadApiError `WAIT_TIMEOUT`) after this long. @default no limit */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Resolves with the session's progress once it has one of `status` (by default, any final
 * status); rejects when it reaches another final status first, on a fatal error, on timeout
 * or when the signal aborts.
 */
export async function waitFor(
  sessionId: string,
  options: WaitForOptions,
): Promise<UploadProgressState> {
  const wanted = new Set<SessionStatus>(
    options.status === undefined
      ? FINAL_STATUSES
      : typeof options.status === 'string'
        ? [options.status]
        : options.status,
  );
  const controller = new AbortController();
  const stop = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  const w = watch(sessionId, { ...options, signal: controller.signal });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(timeoutError(sessionId, options.timeoutMs ?? 0)),
          options.timeoutMs,
        );
  try {
    for await (const progress of w) {
      if (wanted.has(progress.status)) return progress;
      if (FINAL_STATUSES.includes(progress.status)) {
        throw new UploadApiError(
          'UNEXPECTED_STATUS',
          `Session ${sessionId} ended ${progress.status}, not ${[...wanted].join(' or ')}`,
          0,
          { status: progress.status },
        );
      }
    }
    const ended = await w.closed;
    if (controller.signal.aborted) throw controller.signal.reason;
    throw ended.error ?? new UploadApiError('WATCH_CLOSED', 'The watch ended', 0);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    w.close();
  }
}

const timeoutError = (sessionId: string, ms: number) =>
  new UploadApiError(
    'WAIT_TIMEOUT',
    `Session ${sessionId} did not reach the status within ${ms} ms`,
    0,
  );

class SessionWatch implements Watch {
  private readonly events = new Emitter<WatchEvents>();
  private readonly client: UploadApiClient;
  private readonly socketUrl: string;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly pollIntervalMs: number;
  private readonly retryPolicy: { baseDelayMs: number; maxDelayMs: number };
  private socket: WebSocketLike | undefined;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private socketTimer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Socket attempts in a row that could not open. */
  private failedOpens = 0;
  private polling = false;
  private lastJson: string | undefined;
  private ended: WatchCloseEvent | undefined;
  private readonly consumers = new Set<Consumer>();
  private resolveClosed!: (event: WatchCloseEvent) => void;
  readonly closed: Promise<WatchCloseEvent>;
  mode: WatchMode = 'connecting';
  last: UploadProgressState | undefined;

  readonly sessionId: string;
  private readonly options: WatchOptions;

  constructor(sessionId: string, options: WatchOptions) {
    this.sessionId = sessionId;
    this.options = options;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.client = new UploadApiClient({
      apiUrl: options.apiUrl,
      token: options.token,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
    this.socketUrl = options.liveUrl ?? defaultLiveUrl(options.apiUrl);
    this.WebSocketImpl =
      options.WebSocket === null
        ? undefined
        : (options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket);
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.retryPolicy = {
      baseDelayMs: options.socketRetryMs ?? 5_000,
      maxDelayMs: options.maxSocketRetryMs ?? 60_000,
    };
    if (options.signal?.aborted) {
      queueMicrotask(() => this.end({ reason: 'closed', last: undefined }));
      return;
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    // Listeners subscribe right after watch() returns: start on the next tick.
    queueMicrotask(() => this.start());
  }

  on<E extends keyof WatchEvents>(event: E, listener: (value: WatchEvents[E]) => void) {
    return this.events.on(event, listener);
  }

  close(): void {
    this.end({ reason: 'closed', last: this.last });
  }

  [Symbol.asyncIterator](): AsyncIterator<UploadProgressState> {
    const consumer = new Consumer(() => this.consumers.delete(consumer));
    if (this.ended) consumer.finish(this.ended.error);
    else this.consumers.add(consumer);
    return consumer;
  }

  private readonly onAbort = () => this.close();

  private start(): void {
    if (this.ended) return;
    if (this.WebSocketImpl) void this.openSocket();
    else this.startPolling();
  }

  private async openSocket(): Promise<void> {
    if (this.ended || !this.WebSocketImpl) return;
    let token: string;
    try {
      token = await this.token();
    } catch (error) {
      return this.fail(asError(error));
    }
    if (this.ended) return;
    const url = new URL(this.socketUrl);
    url.searchParams.set('token', token);
    let opened = false;
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl(url.toString());
    } catch {
      return this.socketLost(false);
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.ended || this.socket !== socket) return;
      opened = true;
      this.failedOpens = 0;
      this.stopPolling();
      this.setMode('socket');
      socket.send(JSON.stringify({ action: 'subscribe', sessionId: this.sessionId }));
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (this.socket === socket) this.onSocketMessage(event.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.socketLost(opened);
    };
    socket.onerror = () => undefined; // a close follows
  }

  /** A socket that had opened is reopened at once; one that could not open gives way to polling. */
  private socketLost(hadOpened: boolean): void {
    if (this.ended) return;
    if (hadOpened) {
      this.setMode('connecting');
      this.scheduleSocket(backoffDelay(0, { baseDelayMs: 500, maxDelayMs: 500 }));
      return;
    }
    this.failedOpens++;
    this.startPolling();
    this.scheduleSocket(
      backoffDelay(this.failedOpens - 1, this.retryPolicy) + this.retryPolicy.baseDelayMs / 2,
    );
  }

  private scheduleSocket(delayMs: number): void {
    clearTimeout(this.socketTimer);
    this.socketTimer = setTimeout(() => void this.openSocket(), delayMs);
  }

  private onSocketMessage(data: unknown): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      return; // not ours
    }
    if (message.sessionId !== undefined && message.sessionId !== this.sessionId) return;
    if (message.type === 'progress') {
      this.deliver(message.data as UploadProgressState);
      return;
    }
    if (message.type !== 'error') return;
    const body = (message.error ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof body.code === 'string' ? body.code : 'INTERNAL_ERROR';
    const error = new UploadApiError(
      code,
      typeof body.message === 'string' ? body.message : code,
      STATUS_OF_CODE[code] ?? 0,
    );
    if (FATAL_CODES.has(code)) {
      this.fail(error);
      return;
    }
    // A server-side hiccup: say so, and ask again a little later.
    this.events.emit('error', error);
    const socket = this.socket;
    setTimeout(
      () => {
        if (!this.ended && socket && this.socket === socket && socket.readyState === OPEN) {
          socket.send(JSON.stringify({ action: 'subscribe', sessionId: this.sessionId }));
        }
      },
      backoffDelay(1, { baseDelayMs: 500, maxDelayMs: 5_000 }),
    );
  }

  private startPolling(): void {
    if (this.polling || this.ended) return;
    this.polling = true;
    this.setMode('polling');
    void this.poll();
  }

  private stopPolling(): void {
    this.polling = false;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async poll(): Promise<void> {
    if (!this.polling || this.ended) return;
    await this.fetchProgress();
    if (this.polling && !this.ended) {
      this.pollTimer = setTimeout(() => void this.poll(), this.pollIntervalMs);
    }
  }

  /** One GET /progress: fatal errors end the watch, others are reported and retried later. */
  private async fetchProgress(): Promise<void> {
    try {
      const progress = await this.client.progress(this.sessionId, {
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      if (!this.ended) this.deliver(progress);
    } catch (error) {
      if (this.ended) return;
      const failure = asError(error);
      if (failure instanceof UploadApiError && FATAL_CODES.has(failure.code)) this.fail(failure);
      else this.events.emit('error', failure);
    }
  }

  private deliver(progress: UploadProgressState): void {
    if (this.ended) return;
    const json = JSON.stringify(progress);
    if (json !== this.lastJson) {
      this.lastJson = json;
      this.last = progress;
      this.events.emit('progress', progress);
      for (const consumer of this.consumers) consumer.push(progress);
    }
    if (FINAL_STATUSES.includes(progress.status)) {
      this.end({ reason: 'final', last: progress });
      return;
    }
    this.watchExpiry(progress);
  }

  /**
   * An open session that passes its expiresAt becomes `expired` without any write, so no
   * message tells it: ask once when it is due.
   */
  private watchExpiry(progress: UploadProgressState): void {
    clearTimeout(this.expiryTimer);
    const due = Date.parse(progress.expiresAt) - Date.now() + 1_000;
    if (!Number.isFinite(due)) return;
    this.expiryTimer = setTimeout(
      () => void this.fetchProgress(),
      Math.min(Math.max(due, 0), 2_147_483_647),
    );
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.events.emit('error', error);
    this.end({ reason: 'error', last: this.last, error });
  }

  private end(event: WatchCloseEvent): void {
    if (this.ended) return;
    this.ended = event;
    this.stopPolling();
    clearTimeout(this.socketTimer);
    clearTimeout(this.expiryTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      try {
        socket.close(1000, 'done');
      } catch {
        // already closing
      }
    }
    for (const consumer of this.consumers) consumer.finish(event.error);
    this.consumers.clear();
    this.events.emit('close', event);
    this.resolveClosed(event);
  }

  private setMode(mode: WatchMode): void {
    if (this.mode === mode) return;
    this.mode = mode;
    this.events.emit('mode', mode);
  }

  private async token(): Promise<string> {
    const { token } = this.options;
    return typeof token === 'function' ? await token() : token;
  }
}

/** One `for await` over a watch: the states from its start, then the end (or the fatal error). */
class Consumer implements AsyncIterator<UploadProgressState> {
  private readonly queue: UploadProgressState[] = [];
  private waiting: ((result: IteratorResult<UploadProgressState>) => void) | undefined;
  private failing: ((error: Error) => void) | undefined;
  private done = false;
  private error: Error | undefined;

  /** `detach`: called when the loop stops early (break, return, throw in its body). */
  private readonly detach: () => void;

  constructor(detach: () => void) {
    this.detach = detach;
  }

  push(value: UploadProgressState): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      this.failing = undefined;
      resolve({ value, done: false });
    } else this.queue.push(value);
  }

  finish(error?: Error): void {
    this.done = true;
    this.error = error;
    if (!this.waiting) return;
    const resolve = this.waiting;
    const reject = this.failing;
    this.waiting = undefined;
    this.failing = undefined;
    if (error && reject) reject(error);
    else resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<UploadProgressState>> {
    const value = this.queue.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) {
      const error = this.error;
      this.error = undefined; // thrown once
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failing = reject;
    });
  }

  return(): Promise<IteratorResult<UploadProgressState>> {
    this.done = true;
    this.queue.length = 0;
    this.detach();
    return Promise.resolve({ value: undefined, done: true });
  }
}

/** The local server's WebSocket URL for an API URL: `ws(s)://…/api/v1/live`. */
export function defaultLiveUrl(apiUrl: string): string {
  return `${apiBaseUrl(apiUrl).replace(/^http/i, 'ws')}/live`;
}

const asError = (value: unknown): Error =>
  value instanceof Error ? value : new Error(String(value), { cause: value });
