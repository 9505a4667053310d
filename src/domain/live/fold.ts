import type { Clock } from '../ports.ts';
import type { SessionStatus } from '../session.ts';

/** Statuses a session never leaves for an open one: the last message of a watch carries one. */
export const TERMINAL_STATUSES: ReadonlySet<SessionStatus> = new Set([
  'uploaded',
  'cancelled',
  'failed',
  'deleted',
  'expired',
]);

export const isTerminalStatus = (status: string): boolean =>
  TERMINAL_STATUSES.has(status as SessionStatus);

/** A session whose stored state changed (chunks recorded, status changed). */
export interface SessionChange {
  readonly sessionId: string;
  /** The change left the session in a terminal status: it is sent at once, never held back. */
  readonly terminal: boolean;
}

/** At most one progress message per session in this interval: about 4 a second. */
export const MIN_SEND_INTERVAL_MS = 250;

interface Entry {
  /** When the last send of the session was decided (epoch ms). */
  lastSentAt: number;
  /** When the folded changes are due, while some are held back. */
  dueAt?: number;
}

/**
 * Decides when a session's changes are sent: the first change at once, later ones at most once
 * per interval, every change in between folded into that next send, and a terminal status at
 * once. Nothing is dropped: a held-back change is always followed by a send (see `takeDue`), and
 * each send carries the state read when it is made, so the last message reflects the last change.
 * Pure: time comes from the clock; the caller sends and waits.
 */
export class ProgressFolder {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    readonly intervalMs: number = MIN_SEND_INTERVAL_MS,
  ) {}

  /** `now`: send the session's progress now; `later`: folded into a send `takeDue` returns. */
  offer(change: SessionChange): 'now' | 'later' {
    const now = this.now();
    this.prune(now);
    const entry = this.entries.get(change.sessionId);
    if (change.terminal || !entry || now - entry.lastSentAt >= this.intervalMs) {
      // A send held back for this session is folded into this one.
      this.entries.set(change.sessionId, { lastSentAt: now });
      return 'now';
    }
    entry.dueAt ??= entry.lastSentAt + this.intervalMs;
    return 'later';
  }

  /** Sessions whose held-back changes are due now; each counts as sent from now on. */
  takeDue(): string[] {
    const now = this.now();
    const due: string[] = [];
    for (const [sessionId, entry] of this.entries) {
      if (entry.dueAt === undefined || entry.dueAt > now) continue;
      this.entries.set(sessionId, { lastSentAt: now });
      due.push(sessionId);
    }
    return due;
  }

  /** When the next held-back send is due (epoch ms); undefined when nothing is held back. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const entry of this.entries.values()) {
      if (entry.dueAt !== undefined && (next === undefined || entry.dueAt < next)) {
        next = entry.dueAt;
      }
    }
    return next;
  }

  /** Sessions the folder remembers (a send within the last interval, or one held back). */
  get size(): number {
    return this.entries.size;
  }

  /** An entry whose interval has passed with nothing held back limits nothing: it goes. */
  private prune(now: number): void {
    for (const [sessionId, entry] of this.entries) {
      if (entry.dueAt === undefined && now - entry.lastSentAt >= this.intervalMs) {
        this.entries.delete(sessionId);
      }
    }
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
