import type { BatchRecordResult, ChunkRecordInput } from './types.ts';

/** Most entries one PUT /chunks call may carry. */
export const MAX_RECORD_BATCH = 100;

export interface RecordBatchOptions {
  /** Queued entries that make a batch due at once (default 32). */
  readonly size?: number;
  /** How long the oldest queued entry waits before a smaller batch is sent (default 250 ms). */
  readonly delayMs?: number;
  /** Batches awaiting their answer at once (default 2). */
  readonly inFlight?: number;
}

export const DEFAULT_RECORD_BATCH: Required<RecordBatchOptions> = {
  size: 32,
  delayMs: 250,
  inFlight: 2,
};

export interface RecordBatcherHooks {
  /** Sends one batch (1 to 100 entries). */
  readonly send: (entries: readonly ChunkRecordInput[]) => Promise<BatchRecordResult>;
  readonly onAnswer: (sent: readonly ChunkRecordInput[], answer: BatchRecordResult) => void;
  /** The batch failed as a whole; nothing more is sent after this. */
  readonly onError: (error: unknown) => void;
  readonly now?: () => number;
}

interface Queued {
  readonly entry: ChunkRecordInput;
  readonly at: number;
}

/**
 * Records stored chunks in the background, in batches. A batch is sent when `size` entries are
 * queued, or `delayMs` after the oldest queued entry, or at once after `flush()`; at most
 * `inFlight` batches await their answer, and the queue grows meanwhile (up to 100 per batch).
 * Time alone never sends more than one call per `size` entries added (plus one): on a slow link
 * that keeps record calls per chunk near 1/size, at the price of later confirmations.
 */
export class RecordBatcher {
  private readonly hooks: RecordBatcherHooks;
  private readonly options: Required<RecordBatchOptions>;
  private readonly now: () => number;
  private readonly queue: Queued[] = [];
  private readonly pending = new Set<Promise<void>>();
  private added = 0;
  private calls = 0;
  private urgent = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(hooks: RecordBatcherHooks, options: RecordBatchOptions = {}) {
    this.hooks = hooks;
    this.now = hooks.now ?? Date.now;
    const { size, delayMs, inFlight } = { ...DEFAULT_RECORD_BATCH, ...definedOnly(options) };
    this.options = {
      size: Math.min(MAX_RECORD_BATCH, Math.max(1, Math.floor(size))),
      delayMs: Math.max(0, delayMs),
      inFlight: Math.max(1, Math.floor(inFlight)),
    };
  }

  /** Record calls sent so far. */
  get sentCalls(): number {
    return this.calls;
  }

  /** Batches awaiting their answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Entries not sent yet. */
  get queued(): number {
    return this.queue.length;
  }

  add(entry: ChunkRecordInput): void {
    if (this.stopped) return;
    this.queue.push({ entry, at: this.now() });
    this.added++;
    this.pump();
  }

  /** Sends every queued entry without waiting for count or time (in-flight bound still holds). */
  flush(): void {
    this.urgent = true;
    this.pump();
  }

  /** Sends nothing more and ignores answers still to come. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** Resolves once no batch awaits its answer. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private pump(): void {
    this.clearTimer();
    while (!this.stopped && this.queue.length > 0 && this.pending.size < this.options.inFlight) {
      if (!this.isDue()) break;
      this.sendBatch(this.queue.splice(0, MAX_RECORD_BATCH).map((q) => q.entry));
    }
    if (this.queue.length === 0) this.urgent = false;
    this.schedule();
  }

  private isDue(): boolean {
    const { size, delayMs } = this.options;
    if (this.urgent || this.queue.length >= size) return true;
    const oldest = this.queue[0];
    if (!oldest || this.now() - oldest.at < delayMs) return false;
    return this.calls < 1 + Math.floor(this.added / size);
  }

  /** Wakes up when the oldest entry's delay runs out (later adds and answers pump anyway). */
  private schedule(): void {
    const oldest = this.queue[0];
    if (this.stopped || !oldest || this.pending.size >= this.options.inFlight) return;
    const wait = oldest.at + this.options.delayMs - this.now();
    if (wait > 0) this.timer = setTimeout(() => this.pump(), wait);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private sendBatch(entries: readonly ChunkRecordInput[]): void {
    this.calls++;
    // Started on a later tick, so `call` is in `pending` before any of its handlers run.
    const call: Promise<void> = Promise.resolve()
      .then(() => this.hooks.send(entries))
      .then((answer) => {
        if (!this.stopped) this.hooks.onAnswer(entries, answer);
      })
      .catch((error: unknown) => {
        if (this.stopped) return;
        this.stop();
        this.hooks.onError(error);
      })
      .finally(() => {
        this.pending.delete(call);
        this.pump();
      });
    this.pending.add(call);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
