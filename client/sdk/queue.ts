import { Emitter } from './emitter.ts';
import { positiveInteger } from './plan.ts';
import { etaSeconds, RateMeter } from './progress.ts';
import { Semaphore } from './semaphore.ts';
import type { UploadSource } from './source.ts';
import {
  isTerminal,
  type QuotaBackoff,
  TASK_STATES,
  Task,
  type TaskHost,
  type TaskState,
  type UploadOutcome,
  type UploadTask,
} from './task.ts';
import type { UploadOptions } from './upload.ts';

/** What each file of a queue may set for itself. */
export interface QueuedFileOptions {
  /** Higher starts first (default 0); equal priorities start in the order they were added. */
  readonly priority?: number;
  readonly fileName?: string;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly fileSha256?: string;
  /** Ends this file `timedOut` this long after it first started (pauses included). */
  readonly timeoutMs?: number;
}

export interface UploadQueueOptions
  extends Omit<
    UploadOptions,
    'fileName' | 'contentType' | 'metadata' | 'fileSha256' | 'onProgress' | 'onSession'
  > {
  /** Chunk PUTs in flight across all files at once (default 4); one file may use all of them. */
  readonly concurrency?: number;
  /** Files uploading at once (default 3). */
  readonly filesInParallel?: number;
  /** Default `timeoutMs` of each file (none by default). */
  readonly timeoutMs?: number;
  /** How long a file waits out TOO_MANY_ACTIVE_UPLOADS with no file of the queue ending (10 min). */
  readonly quotaWaitMs?: number;
  /** Waits between initiates while the quota is full and no file of the queue runs (1 s to 30 s). */
  readonly quotaBackoff?: QuotaBackoff;
}

/** The queue's totals, over every file that succeeded or may still succeed. */
export interface QueueProgress {
  /** Bytes storage has taken (records may still be on their way). */
  readonly sentBytes: number;
  /** Bytes the server has recorded. */
  readonly confirmedBytes: number;
  /** Bytes of the files that succeeded or have not ended (ended otherwise: not counted). */
  readonly totalBytes: number;
  /** Over the last few seconds, across all files. */
  readonly bytesPerSecond: number;
  /** Seconds left at that rate; null while unknown, 0 when all is sent. */
  readonly etaSeconds: number | null;
  /** Files added. */
  readonly tasks: number;
  /** Files in each state. */
  readonly states: Readonly<Record<TaskState, number>>;
}

export interface TaskStateChangeInQueue {
  readonly task: UploadTask;
  readonly from: TaskState;
  readonly to: TaskState;
}

export interface UploadQueueEvents {
  readonly taskstatechange: TaskStateChangeInQueue;
  readonly progress: QueueProgress;
  /** Nothing is queued or running any more: the outcomes of the files that ended, as added. */
  readonly idle: readonly UploadOutcome[];
}

export interface UploadQueue<S = Blob | UploadSource> {
  /** Every file added, in the order added. */
  readonly tasks: readonly UploadTask[];
  /** The totals now. */
  readonly progress: QueueProgress;
  /** Queues a file and returns its task at once (state `queued`); `done` may be awaited now. */
  add(source: S, options?: QueuedFileOptions): UploadTask;
  /** `add` for each source, with the same options. */
  addAll(sources: Iterable<S>, options?: QueuedFileOptions): UploadTask[];
  /** Pauses every file and holds the queue: files added meanwhile wait, `queued`. */
  pause(): void;
  /** Lets the queue run again and resumes every paused file. */
  resume(): void;
  /** Cancels every file that has not ended; rejects when some session could not be cancelled. */
  cancel(): Promise<void>;
  /** Resolves once nothing is queued or running, to the outcomes of the files that ended. */
  onIdle(): Promise<readonly UploadOutcome[]>;
  on<E extends keyof UploadQueueEvents>(
    event: E,
    listener: (value: UploadQueueEvents[E]) => void,
  ): () => void;
}

export const DEFAULT_FILES_IN_PARALLEL = 3;

/**
 * A queue that uploads many files, `filesInParallel` at a time, with at most `concurrency` chunk
 * PUTs in flight across all of them. Higher priorities start first, then the order of adding.
 * A file that meets TOO_MANY_ACTIVE_UPLOADS goes back to the line and the queue starts nothing
 * new until one of its files ends (or, with none running, after a backoff).
 */
export function createUploadQueue(options: UploadQueueOptions): UploadQueue {
  return new QueueOf<Blob | UploadSource>(options, (source) => ({ source }));
}

/** A source for a task, and what to do once the task has ended (close a file). */
export interface AdoptedSource {
  readonly source: Blob | UploadSource;
  readonly release?: () => void | Promise<void>;
}

interface Entry {
  readonly task: Task;
  readonly priority: number;
  readonly seq: number;
  /** Progress counted in the totals. */
  sent: number;
  confirmed: number;
  /** The next progress snapshot opens a run: it moves the totals, not the rate. */
  fresh: boolean;
}

/** The queue, for any kind of source `adopt` turns into a Blob or UploadSource (file paths). */
export class QueueOf<S> implements UploadQueue<S>, TaskHost {
  readonly permits: Semaphore;
  private readonly options: UploadQueueOptions;
  private readonly adopt: (source: S) => AdoptedSource;
  private readonly filesInParallel: number;
  private readonly events = new Emitter<UploadQueueEvents>();
  private readonly entries = new Map<Task, Entry>();
  private readonly all: Task[] = [];
  /** Admitted and waiting to run, best first. */
  private readonly line: Entry[] = [];
  private readonly inLine = new Set<Task>();
  /** One entry per launch still running (a task may launch again before its last one returns). */
  private readonly running = new Set<object>();
  private readonly counts = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<
    TaskState,
    number
  >;
  private readonly rate = new RateMeter(Date.now());
  private seq = 0;
  private held = false;
  private pumpScheduled = false;
  private quotaFullNow = false;
  private quotaTimer: ReturnType<typeof setTimeout> | undefined;
  private idleWaiters: ((outcomes: readonly UploadOutcome[]) => void)[] = [];
  private sentBytes = 0;
  private confirmedBytes = 0;
  private totalBytes = 0;

  constructor(options: UploadQueueOptions, adopt: (source: S) => AdoptedSource) {
    this.options = options;
    this.adopt = adopt;
    this.permits = new Semaphore(positiveInteger(options.concurrency ?? 4, 'concurrency'));
    this.filesInParallel = positiveInteger(
      options.filesInParallel ?? DEFAULT_FILES_IN_PARALLEL,
      'filesInParallel',
    );
    const { signal } = options;
    if (signal) {
      if (signal.aborted) this.held = true;
      else signal.addEventListener('abort', () => this.pause(), { once: true });
    }
  }

  get tasks(): readonly UploadTask[] {
    return this.all;
  }

  get progress(): QueueProgress {
    const now = Date.now();
    const bytesPerSecond = this.rate.rate(now);
    return {
      sentBytes: this.sentBytes,
      confirmedBytes: this.confirmedBytes,
      totalBytes: this.totalBytes,
      bytesPerSecond: Math.round(bytesPerSecond),
      etaSeconds: etaSeconds(this.totalBytes - this.sentBytes, bytesPerSecond),
      tasks: this.all.length,
      states: { ...this.counts },
    };
  }

  add(input: S, file: QueuedFileOptions = {}): UploadTask {
    const { source, release } = this.adopt(input);
    const { priority = 0, ...own } = file;
    const { concurrency, filesInParallel, signal, timeoutMs, ...shared } = this.options;
    const task = new Task(
      source,
      {
        ...shared,
        ...own,
        concurrency: this.permits.limit,
        ...(own.timeoutMs === undefined && timeoutMs !== undefined ? { timeoutMs } : {}),
      },
      this,
    );
    const entry: Entry = { task, priority, seq: this.seq++, sent: 0, confirmed: 0, fresh: true };
    this.entries.set(task, entry);
    this.all.push(task);
    this.counts.queued++;
    this.totalBytes += task.size;
    task.on('statechange', ({ from, to }) => this.changed(entry, from, to));
    task.on('session', () => {
      entry.fresh = true;
    });
    task.on('progress', (progress) =>
      this.moved(entry, progress.sentBytes, progress.confirmedBytes),
    );
    if (release) void task.done.then(release).catch(() => undefined);
    task.start();
    return task;
  }

  addAll(sources: Iterable<S>, file?: QueuedFileOptions): UploadTask[] {
    return Array.from(sources, (source) => this.add(source, file));
  }

  pause(): void {
    this.held = true;
    for (const task of this.all) task.pause();
  }

  resume(): void {
    this.held = false;
    for (const task of this.all) task.resume();
    this.schedulePump();
  }

  async cancel(): Promise<void> {
    const results = await Promise.allSettled(this.all.map((task) => task.cancel()));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (failures.length > 0)
      throw new AggregateError(failures, `${failures.length} sessions could not be cancelled`);
  }

  onIdle(): Promise<readonly UploadOutcome[]> {
    if (this.idle()) return Promise.resolve(this.outcomes());
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  on<E extends keyof UploadQueueEvents>(
    event: E,
    listener: (value: UploadQueueEvents[E]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  // TaskHost: how the queue's tasks get their turn.

  admit(task: Task): void {
    const entry = this.entries.get(task);
    if (!entry || this.inLine.has(task)) return;
    this.inLine.add(task);
    // Best first: after every entry of a higher or equal priority added earlier.
    let at = this.line.length;
    while (at > 0 && before(entry, this.line[at - 1] as Entry)) at--;
    this.line.splice(at, 0, entry);
    this.schedulePump();
  }

  withdraw(task: Task): void {
    if (!this.inLine.delete(task)) return;
    this.line.splice(
      this.line.findIndex((e) => e.task === task),
      1,
    );
  }

  quotaFull(task: Task): void {
    this.quotaFullNow = true;
    this.admit(task);
  }

  private idle(): boolean {
    return this.counts.queued === 0 && this.counts.running === 0;
  }

  private outcomes(): UploadOutcome[] {
    return this.all.flatMap((task) => (task.outcome ? [task.outcome] : []));
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Launches the best waiting files while there is room, and the quota may have some. */
  private pump(): void {
    if (this.line.length === 0) this.quotaRoom();
    while (
      !this.held &&
      !this.quotaFullNow &&
      this.running.size < this.filesInParallel &&
      this.line.length > 0
    ) {
      const { task } = this.line.shift() as Entry;
      this.inLine.delete(task);
      const launch = {};
      this.running.add(launch);
      void task.launch().finally(() => {
        this.running.delete(launch);
        this.schedulePump();
      });
    }
    // The quota is full and no file of ours runs to free it: try again after a backoff.
    const first = this.line[0];
    if (this.quotaFullNow && this.running.size === 0 && first && !this.quotaTimer) {
      this.quotaTimer = setTimeout(() => {
        this.quotaTimer = undefined;
        this.quotaFullNow = false;
        this.pump();
      }, first.task.quotaDelay());
    }
  }

  /** The quota may have room again: waiting files start afresh. */
  private quotaRoom(): void {
    this.quotaFullNow = false;
    clearTimeout(this.quotaTimer);
    this.quotaTimer = undefined;
  }

  private changed(entry: Entry, from: TaskState, to: TaskState): void {
    this.counts[from]--;
    this.counts[to]++;
    if (isTerminal(to)) {
      const { task } = entry;
      if (to === 'succeeded') {
        this.moved(entry, task.size, task.size, false);
      } else {
        // It will never be sent: count it out of the totals.
        this.sentBytes -= entry.sent;
        this.confirmedBytes -= entry.confirmed;
        this.totalBytes -= task.size;
        entry.sent = 0;
        entry.confirmed = 0;
      }
      // One of ours ended: its slot on the server is free, so waiting files try again.
      this.quotaRoom();
      for (const waiting of this.line) waiting.task.quotaFreed();
      this.schedulePump();
    }
    this.events.emit('taskstatechange', { task: entry.task, from, to });
    this.events.emit('progress', this.progress);
    if (this.idle() && (from === 'queued' || from === 'running')) {
      const outcomes = this.outcomes();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve(outcomes);
      this.events.emit('idle', outcomes);
    }
  }

  /** A file's progress: totals follow it; bytes sent in a run also feed the rate. */
  private moved(entry: Entry, sent: number, confirmed: number, report = true): void {
    const now = Date.now();
    const delta = sent - entry.sent;
    if (delta > 0 && !entry.fresh) this.rate.add(delta, now);
    entry.fresh = false;
    this.sentBytes += delta;
    this.confirmedBytes += confirmed - entry.confirmed;
    entry.sent = sent;
    entry.confirmed = confirmed;
    if (report) this.events.emit('progress', this.progress);
  }
}

/** True when `a` goes before `b` in the line. */
const before = (a: Entry, b: Entry): boolean =>
  a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
