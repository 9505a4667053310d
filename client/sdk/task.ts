import type { UploadApiClient } from './api.ts';
import { Emitter } from './emitter.ts';
import { UploadApiError, UploadCancelledError, UploadTimeoutError } from './errors.ts';
import type { UploadProgress } from './progress.ts';
import type { RetryEvent } from './retry.ts';
import { runUpload } from './run-upload.ts';
import type { Permits } from './semaphore.ts';
import { initiate, type KnownSession } from './session-start.ts';
import type { UploadSource } from './source.ts';
import type { FileRecord } from './types.ts';
import { apiClient, prepareUpload, type SessionStart, type UploadOptions } from './upload.ts';

/** Where a task stands. The last five are terminal: a task that reaches one never changes again. */
export type TaskState =
  | 'queued'
  | 'running'
  | 'paused'
  | 'succeeded'
  | 'cancelled'
  | 'timedOut'
  | 'rejected'
  | 'errored';

export type TerminalState = Exclude<TaskState, 'queued' | 'running' | 'paused'>;

export const TASK_STATES: readonly TaskState[] = [
  'queued',
  'running',
  'paused',
  'succeeded',
  'cancelled',
  'timedOut',
  'rejected',
  'errored',
];

export const isTerminal = (state: TaskState): state is TerminalState =>
  state !== 'queued' && state !== 'running' && state !== 'paused';

/** How a task ended; `done` resolves to it and never rejects. */
export type UploadOutcome =
  | { readonly state: 'succeeded'; readonly file: FileRecord }
  | { readonly state: Exclude<TerminalState, 'succeeded'>; readonly reason: Error };

export interface TaskStateChange {
  readonly from: TaskState;
  readonly to: TaskState;
}

export interface UploadTaskEvents {
  /** A progress snapshot, as `onProgress` gets it. */
  readonly progress: UploadProgress;
  readonly statechange: TaskStateChange;
  /** The SDK retries a request (an API call, or a chunk PUT to storage). */
  readonly retry: RetryEvent;
  /** The reason, when the task ends in a state other than `succeeded`. */
  readonly error: Error;
  /** The session a run uses, once known (each run: a resumed run says `resumed: true`). */
  readonly session: SessionStart;
}

export interface UploadTask {
  /** The file's name (`fileName`, else the source's). */
  readonly name: string;
  /** The file's size in bytes. */
  readonly size: number;
  readonly state: TaskState;
  readonly sessionId: string | undefined;
  /** The latest progress snapshot; undefined until the session is known. */
  readonly progress: UploadProgress | undefined;
  /** The finished file, once `succeeded`. */
  readonly file: FileRecord | undefined;
  /** Why it ended, once in a terminal state other than `succeeded`. */
  readonly reason: Error | undefined;
  /** Resolves when the task ends, never rejects; a paused task's stays pending. */
  readonly done: Promise<UploadOutcome>;
  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof UploadTaskEvents>(
    event: E,
    listener: (value: UploadTaskEvents[E]) => void,
  ): () => void;
  /** Starts a task created with `autoStart: false`; does nothing otherwise. */
  start(): void;
  /** Stops sending (in-flight PUTs are aborted) and keeps the session: state `paused`. */
  pause(): void;
  /** Continues a paused task from the server's ledger: only missing chunks are sent. */
  resume(): void;
  /**
   * Stops the task for good and cancels its session on the server (when it has one): state
   * `cancelled`. Resolves once that is done; rejects when the server could not be told (the task
   * is cancelled all the same). Does nothing once the task has ended.
   */
  cancel(): Promise<void>;
}

export interface QuotaBackoff {
  /** First wait in ms (default 1000); it doubles per attempt. */
  readonly initialMs?: number;
  /** Longest wait in ms (default 30 000). */
  readonly maxMs?: number;
}

export interface UploadTaskOptions extends UploadOptions {
  /** Start at once (default true); with false, `start()` starts it. */
  readonly autoStart?: boolean;
  /** Ends the task `timedOut` this long after it first started (pauses included). */
  readonly timeoutMs?: number;
  /**
   * How long TOO_MANY_ACTIVE_UPLOADS is waited out (default 10 minutes): the task goes back to
   * `queued` and tries again; then it ends `rejected`. In a queue the clock restarts whenever
   * another task of the queue ends. 0 rejects at once.
   */
  readonly quotaWaitMs?: number;
  /** Waits between initiates while the quota is full and nothing of ours can free it. */
  readonly quotaBackoff?: QuotaBackoff;
}

export const DEFAULT_QUOTA_WAIT_MS = 10 * 60_000;

/**
 * Creates an upload task: `upload` with a state, events, pause, resume and cancel. It is returned
 * `queued` and starts at once (in a microtask) unless `autoStart` is false. Invalid options throw
 * here, synchronously.
 */
export function createUpload(source: Blob | UploadSource, options: UploadTaskOptions): UploadTask {
  const task = new Task(source, options, soloHost());
  // Started in a microtask: listeners added right after this call see every event.
  if (options.autoStart ?? true) queueMicrotask(() => task.start());
  return task;
}

/**
 * What runs a task: it is admitted when ready, and launched when there is room. A task alone
 * runs at once; a queue keeps a line (see queue.ts).
 */
export interface TaskHost {
  /** Shared chunk-PUT permits. */
  readonly permits?: Permits;
  /** The task is `queued` and ready: call `task.launch()` when there is room. */
  admit(task: Task): void;
  /** A task that was admitted but not launched was paused or ended: forget it. */
  withdraw(task: Task): void;
  /** Initiate answered TOO_MANY_ACTIVE_UPLOADS and the task is `queued` again: launch it later. */
  quotaFull(task: Task): void;
}

/** A task on its own: launched when admitted, tried again after a backoff when the quota is full. */
function soloHost(): TaskHost {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    admit: (task) => {
      void task.launch();
    },
    withdraw: () => clearTimeout(timer),
    quotaFull: (task) => {
      timer = setTimeout(() => void task.launch(), task.quotaDelay());
    },
  };
}

/** How a run was stopped from outside; undefined while it runs on its own. */
type Stop = 'pause' | 'cancel' | 'timeout';

interface Run {
  readonly controller: AbortController;
  stop: Stop | undefined;
}

/** The server refused the file itself: sending it again unchanged cannot succeed. */
const REFUSED = new Set(['FILE_TOO_LARGE', 'UNSUPPORTED_CONTENT_TYPE', 'TOO_MANY_ACTIVE_UPLOADS']);

/** The terminal state an error ends a task in (`atInitiate`: no session was known yet). */
export function outcomeOf(error: unknown, atInitiate: boolean): UploadOutcome {
  const reason = error instanceof Error ? error : new Error(String(error), { cause: error });
  if (reason instanceof UploadApiError) {
    if (reason.code === 'SESSION_EXPIRED') return { state: 'timedOut', reason };
    if (reason.code === 'SESSION_CANCELLED') return { state: 'cancelled', reason };
    if (REFUSED.has(reason.code) || (atInitiate && reason.code === 'VALIDATION_ERROR'))
      return { state: 'rejected', reason };
  }
  return { state: 'errored', reason };
}

/** Session answers that mean there is nothing left to cancel. */
const ALREADY_GONE = new Set(['SESSION_NOT_FOUND', 'SESSION_EXPIRED', 'SESSION_CANCELLED']);

/** An upload task; queue.ts creates them with its own host. */
export class Task implements UploadTask {
  readonly name: string;
  readonly size: number;
  readonly done: Promise<UploadOutcome>;
  private readonly events = new Emitter<UploadTaskEvents>();
  private readonly options: UploadTaskOptions;
  private readonly prepared: ReturnType<typeof prepareUpload>;
  private readonly api: UploadApiClient;
  private readonly host: TaskHost;
  private readonly idempotencyKey = globalThis.crypto.randomUUID();
  /** An initiate was sent: a session may exist on the server before this task knows its id. */
  private initiateSent = false;
  private resolveDone: (outcome: UploadOutcome) => void = () => {};
  private current: TaskState = 'queued';
  private session: KnownSession | undefined;
  private id: string | undefined;
  private latest: UploadProgress | undefined;
  private ending: UploadOutcome | undefined;
  private started = false;
  private run: Run | undefined;
  /** Settles when the latest run has stopped: no request of it is left in flight. */
  private stopped: Promise<void> = Promise.resolve();
  private cancelling: Promise<void> | undefined;
  private timedOut: UploadTimeoutError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private quotaSince: number | undefined;
  private quotaAttempts = 0;
  private readonly detachSignal: () => void = () => {};

  constructor(source: Blob | UploadSource, options: UploadTaskOptions, host: TaskHost) {
    this.options = options;
    this.host = host;
    this.prepared = prepareUpload(source, options);
    this.name = this.prepared.fileName;
    this.size = this.prepared.source.size;
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0))
      throw new TypeError(`timeoutMs must be positive, got ${options.timeoutMs}`);
    this.api = apiClient({
      ...options,
      onRetry: (event) => {
        options.onRetry?.(event);
        this.events.emit('retry', event);
      },
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    const { signal } = options;
    if (signal) {
      // Aborting the caller's signal pauses, as it does `upload`.
      const onAbort = () => this.pause();
      signal.addEventListener('abort', onAbort, { once: true });
      this.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
  }

  get state(): TaskState {
    return this.current;
  }

  get sessionId(): string | undefined {
    return this.id;
  }

  get progress(): UploadProgress | undefined {
    return this.latest;
  }

  get file(): FileRecord | undefined {
    return this.ending?.state === 'succeeded' ? this.ending.file : undefined;
  }

  get reason(): Error | undefined {
    return this.ending && this.ending.state !== 'succeeded' ? this.ending.reason : undefined;
  }

  /** How the task ended; undefined until then. */
  get outcome(): UploadOutcome | undefined {
    return this.ending;
  }

  on<E extends keyof UploadTaskEvents>(
    event: E,
    listener: (value: UploadTaskEvents[E]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  start(): void {
    if (this.started || this.current !== 'queued') return;
    this.started = true;
    if (this.options.signal?.aborted) this.pause();
    else this.host.admit(this);
  }

  pause(): void {
    if (this.current !== 'queued' && this.current !== 'running') return;
    if (this.cancelling || this.timedOut) return;
    this.started = true;
    if (this.run) {
      this.run.stop = 'pause';
      this.run.controller.abort(new DOMException('Upload paused', 'AbortError'));
    } else {
      this.host.withdraw(this);
    }
    this.setState('paused');
  }

  resume(): void {
    if (this.current !== 'paused' || this.cancelling || this.timedOut) return;
    this.setState('queued');
    this.host.admit(this);
  }

  cancel(): Promise<void> {
    if (isTerminal(this.current)) return Promise.resolve();
    this.cancelling ??= this.cancelNow();
    return this.cancelling;
  }

  /**
   * Runs the task until it leaves `running` (ends, pauses, or goes back to `queued` for the
   * quota); the host calls it when there is room. Never rejects; does nothing unless `queued`.
   */
  async launch(): Promise<void> {
    if (this.current !== 'queued' || this.cancelling || this.timedOut) return;
    const run: Run = { controller: new AbortController(), stop: undefined };
    const previous = this.stopped;
    let stopped = () => {};
    this.stopped = new Promise((resolve) => {
      stopped = resolve;
    });
    this.run = run;
    this.started = true;
    this.setState('running');
    this.armTimeout();
    try {
      await previous; // a paused run's requests have all stopped
      run.controller.signal.throwIfAborted();
      const file = await runUpload({
        ...this.prepared,
        api: this.api,
        options: this.runOptions(run.controller.signal),
        ...(this.session ? { session: this.session } : {}),
        idempotencyKey: this.idempotencyKey,
        ...(this.host.permits ? { permits: this.host.permits } : {}),
        onInitiating: () => {
          this.initiateSent = true;
        },
        onStarted: (session) => {
          this.initiateSent = false;
          this.session = session;
          this.id = session.sessionId;
          this.quotaSince = undefined;
          this.quotaAttempts = 0;
        },
      });
      // Storage and the server finished it: that stands, whatever was asked meanwhile.
      this.finish({ state: 'succeeded', file });
    } catch (error) {
      if (!run.stop) this.failed(error);
    } finally {
      if (this.run === run) this.run = undefined; // a resume may have launched the next run
      stopped();
    }
  }

  /** Milliseconds to wait before trying initiate again while the quota is full. */
  quotaDelay(): number {
    const initial = this.options.quotaBackoff?.initialMs ?? 1000;
    const max = this.options.quotaBackoff?.maxMs ?? 30_000;
    const backoff = Math.min(max, initial * 2 ** Math.max(0, this.quotaAttempts - 1));
    const left = (this.quotaSince ?? Date.now()) + this.quotaWaitMs() - Date.now();
    return Math.max(0, Math.min(backoff, left));
  }

  /** Another upload ended, so the quota has room again: the wait starts afresh. */
  quotaFreed(): void {
    this.quotaSince = undefined;
  }

  private quotaWaitMs(): number {
    return this.options.quotaWaitMs ?? DEFAULT_QUOTA_WAIT_MS;
  }

  private runOptions(signal: AbortSignal): UploadOptions {
    const { onSession, onProgress } = this.options;
    return {
      ...this.options,
      signal,
      onSession: (session) => {
        this.id = session.sessionId;
        onSession?.(session);
        this.events.emit('session', session);
      },
      onProgress: (progress) => {
        this.latest = progress;
        onProgress?.(progress);
        this.events.emit('progress', progress);
      },
    };
  }

  /** A run failed on its own: wait out a full quota, or end in the state the error means. */
  private failed(error: unknown): void {
    const atInitiate = this.id === undefined;
    // A refused initiate (4xx) made no session.
    if (atInitiate && error instanceof UploadApiError && error.status < 500)
      this.initiateSent = false;
    if (atInitiate && error instanceof UploadApiError && error.code === 'TOO_MANY_ACTIVE_UPLOADS') {
      const now = Date.now();
      this.quotaSince ??= now;
      this.quotaAttempts++;
      if (now - this.quotaSince < this.quotaWaitMs()) {
        this.setState('queued');
        this.host.quotaFull(this);
        return;
      }
    }
    this.finish(outcomeOf(error, atInitiate));
  }

  private async cancelNow(): Promise<void> {
    if (this.run) {
      this.run.stop = 'cancel';
      this.run.controller.abort(new UploadCancelledError(this.id));
    } else if (this.current === 'queued') {
      this.host.withdraw(this);
    }
    await this.stopped;
    if (isTerminal(this.current)) return; // it ended first (e.g. complete had answered)
    let failure: unknown;
    const sessionId =
      this.id ?? (this.initiateSent ? await this.sessionOfCutInitiate() : undefined);
    if (sessionId) {
      try {
        await this.api.cancel(sessionId);
      } catch (error) {
        if (!(error instanceof UploadApiError && ALREADY_GONE.has(error.code))) failure = error;
      }
    }
    try {
      await this.options.store?.delete(this.prepared.key);
    } catch (error) {
      failure ??= error;
    }
    const cause = failure === undefined ? undefined : { cause: failure };
    this.finish({ state: 'cancelled', reason: new UploadCancelledError(sessionId, cause) });
    if (failure !== undefined) throw failure;
  }

  /**
   * The session of an initiate whose answer the cancel cut off, so that it is cancelled rather
   * than left to expire: initiate again with the same idempotency key answers that session (or
   * starts one, if the first never arrived, which is cancelled all the same). Undefined when the
   * server cannot be asked now; the session then expires with its TTL.
   */
  private async sessionOfCutInitiate(): Promise<string | undefined> {
    const { signal: _cancelled, ...options } = this.options;
    try {
      const { source, fileName } = this.prepared;
      return (await initiate(this.api, source, fileName, options, this.idempotencyKey)).id;
    } catch {
      return undefined;
    }
  }

  private armTimeout(): void {
    const { timeoutMs } = this.options;
    if (timeoutMs === undefined || this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.timeOut(timeoutMs), timeoutMs);
  }

  private async timeOut(timeoutMs: number): Promise<void> {
    if (isTerminal(this.current) || this.cancelling) return;
    const reason = new UploadTimeoutError(timeoutMs, this.id);
    this.timedOut = reason;
    if (this.run) {
      this.run.stop = 'timeout';
      this.run.controller.abort(reason);
    } else if (this.current === 'queued') {
      this.host.withdraw(this);
    }
    await this.stopped;
    this.finish({ state: 'timedOut', reason });
  }

  private finish(outcome: UploadOutcome): void {
    if (this.ending) return;
    this.ending = outcome;
    clearTimeout(this.timer);
    this.detachSignal();
    this.setState(outcome.state);
    if (outcome.state !== 'succeeded') this.events.emit('error', outcome.reason);
    this.resolveDone(outcome);
  }

  private setState(to: TaskState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.events.emit('statechange', { from, to });
  }
}
