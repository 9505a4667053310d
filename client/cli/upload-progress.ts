/**
 * The progress of an upload run: each file's state and bytes, the total, and the live lines
 * that show them. Pure: time comes from the caller.
 */
import { etaSeconds, RateMeter, type UploadProgress } from '../sdk/progress.ts';
import { fileProgressLine, type Outcome, type ProgressView, totalProgressLine } from './format.ts';

export type FileState = 'queued' | 'running' | 'paused' | Outcome;

/** A file whose bytes have not advanced for this long is shown as stalled, without an ETA. */
export const STALL_MS = 5000;

/** At most this many running files get a live line each. */
const MAX_FILE_LINES = 8;

interface Tracked {
  readonly name: string;
  readonly size: number;
  state: FileState;
  progress: UploadProgress | undefined;
  /** sentBytes when this run first reported (what earlier runs stored). */
  sentBefore: number | undefined;
  lastSent: number;
  lastMoveAt: number | undefined;
  /** Why the file is waiting, while a request is being retried. */
  retrying: string | undefined;
}

export class RunProgress {
  private readonly files: Tracked[];
  private readonly rate: RateMeter;
  private sentThisRun = 0;

  constructor(files: readonly { name: string; size: number }[], now: number) {
    this.files = files.map((f) => ({
      name: f.name,
      size: f.size,
      state: 'queued',
      progress: undefined,
      sentBefore: undefined,
      lastSent: 0,
      lastMoveAt: undefined,
      retrying: undefined,
    }));
    this.rate = new RateMeter(now);
  }

  /** Bytes this run sent to storage (earlier runs' bytes not included). */
  get bytesSent(): number {
    return this.sentThisRun;
  }

  state(index: number): FileState {
    return this.at(index).state;
  }

  setState(index: number, state: FileState, now: number): void {
    const file = this.at(index);
    if (state === 'running' && file.state !== 'running') file.lastMoveAt = now;
    file.state = state;
    if (state !== 'running') file.retrying = undefined;
  }

  progress(index: number, progress: UploadProgress, now: number): void {
    const file = this.at(index);
    if (file.sentBefore === undefined) {
      file.sentBefore = progress.sentBytes;
      file.lastSent = progress.sentBytes;
    }
    const moved = progress.sentBytes - file.lastSent;
    if (moved > 0) {
      this.sentThisRun += moved;
      this.rate.add(moved, now);
      file.lastMoveAt = now;
      file.retrying = undefined;
    }
    file.lastSent = Math.max(file.lastSent, progress.sentBytes);
    file.progress = progress;
  }

  /** A request of this file failed and is retried; the file shows why until bytes move again. */
  retrying(index: number, reason: string): void {
    this.at(index).retrying = reason;
  }

  counts(): { files: number; finished: number; running: number } {
    const finished = this.files.filter((f) => isOutcome(f.state)).length;
    const running = this.files.filter((f) => f.state === 'running').length;
    return { files: this.files.length, finished, running };
  }

  /** One file as the progress line shows it. */
  fileView(index: number, now: number): ProgressView {
    const file = this.at(index);
    const p = file.progress;
    const sentBytes = file.state === 'succeeded' ? file.size : (p?.sentBytes ?? 0);
    const moving =
      file.state === 'running' &&
      file.retrying === undefined &&
      file.lastMoveAt !== undefined &&
      now - file.lastMoveAt < STALL_MS;
    return {
      sentBytes,
      totalBytes: file.size,
      bytesPerSecond: moving ? (p?.bytesPerSecond ?? 0) : 0,
      etaSeconds: moving ? (p?.etaSeconds ?? null) : null,
      moving,
      note: this.noteFor(file, now),
    };
  }

  /** Every file that has not failed, together. */
  totalView(now: number): ProgressView {
    let sentBytes = 0;
    let totalBytes = 0;
    let moving = false;
    for (let i = 0; i < this.files.length; i++) {
      const file = this.files[i] as Tracked;
      if (isOutcome(file.state) && file.state !== 'succeeded') continue;
      const view = this.fileView(i, now);
      sentBytes += view.sentBytes;
      totalBytes += file.size;
      moving ||= view.moving;
    }
    const perSecond = moving ? this.rate.rate(now) : 0;
    return {
      sentBytes,
      totalBytes,
      bytesPerSecond: Math.round(perSecond),
      etaSeconds: moving ? etaSeconds(totalBytes - sentBytes, perSecond) : null,
      moving,
      note: this.counts().running === 0 ? 'waiting' : 'stalled',
    };
  }

  /** The live lines: each running file (up to 8), then the total. */
  frame(now: number, width: number | undefined): string[] {
    const barWidth = width === undefined ? 0 : Math.max(0, Math.min(24, width - 90));
    const running = this.files
      .map((file, index) => ({ file, index }))
      .filter(({ file }) => file.state === 'running');
    const lines = running
      .slice(0, MAX_FILE_LINES)
      .map(({ file, index }) => fileProgressLine(file.name, this.fileView(index, now), barWidth));
    if (running.length > MAX_FILE_LINES)
      lines.push(`... and ${running.length - MAX_FILE_LINES} more running`);
    lines.push(totalProgressLine(this.counts(), this.totalView(now), barWidth));
    return lines;
  }

  private noteFor(file: Tracked, now: number): string {
    if (file.state === 'paused') return 'paused';
    if (file.state === 'queued') return 'queued';
    if (file.retrying !== undefined) return `retrying: ${file.retrying}`;
    if (file.lastMoveAt === undefined) return 'starting';
    return `stalled for ${Math.round((now - file.lastMoveAt) / 1000)} s`;
  }

  private at(index: number): Tracked {
    const file = this.files[index];
    if (!file) throw new RangeError(`no file ${index}`);
    return file;
  }
}

const OUTCOME_STATES = new Set<FileState>([
  'succeeded',
  'cancelled',
  'timedOut',
  'rejected',
  'errored',
]);

export const isOutcome = (state: FileState): state is Outcome => OUTCOME_STATES.has(state);
